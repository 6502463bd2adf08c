export * from './clean-up.js';
export * from './inject-clean-up.decorator.js';
export * from './stream-context.js';
