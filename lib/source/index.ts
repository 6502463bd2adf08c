export * from './resolve-source.js';
