export * from './encode-frame.js';
export * from './encoded-frame.js';
export * from './sse-event.js';
export * from './sse-fields.js';
