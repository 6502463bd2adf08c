export * from './resumable-streams.js';
