export * from './create-platform-response.js';
export * from './heartbeat.js';
export * from './platform-response.js';
export * from './sse-connection.js';
