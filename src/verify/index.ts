export * from './failure.js';
export * from './record.js';
export * from './signature.js';
export * from './checkpoint.js';
export * from './registry.js';
