export * from './chain-source.js';
export * from './handler-result.js';
export * from './iterator-source.js';
export * from './observable-source.js';
export * from './resolve-source.js';
export * from './sse-source.js';
export * from './to-sse-source.js';
export * from './is-promise.js';
