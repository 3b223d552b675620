export * from './frame.js';
export * from './constants.js';
export * from './operations.js';
export * from './parameters.js';
export * from './status-codes.js';
