export * from './errors';
export * from './health';
export * from './run';
export * from './shutdown';
export * from './stall';
export * from './worker';
