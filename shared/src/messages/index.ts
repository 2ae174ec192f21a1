export * from './envelope';
export * from './topic';
