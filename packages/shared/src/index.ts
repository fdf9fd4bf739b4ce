export * from './json.js';
export * from './errors.js';
export * from './twin.js';
export * from './device-job.js';
