export * from './define';
export * from './subscriptions';
export * from './builtin';
export * from './catalog';
export * from './cloudevents';
