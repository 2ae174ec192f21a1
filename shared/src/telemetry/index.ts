export * from './broker';
export * from './config';
export * from './names';
export * from './propagation';
export * from './sdk';
export * from './sql';
export * from './worker';
export * from './process';
