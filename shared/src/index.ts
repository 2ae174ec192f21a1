export * from './config/index';
export * from './db/index';
export * from './function/index';
export * from './log/index';
export * from './messages/index';
export * from './queue/index';
export * from './runtime/index';
export * from './telemetry/index';
