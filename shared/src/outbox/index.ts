export * from './child-id';
export * from './publisher';
export * from './relay';
export * from './handler-context';
export * from './metrics';
