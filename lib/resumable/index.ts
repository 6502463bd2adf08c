export * from './recorded-stream.js';
export * from './resumable-streams.js';
