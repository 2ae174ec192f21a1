export * from './envelope';
export * from './event';
export * from './topic';
