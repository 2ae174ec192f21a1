export * from './define';
export * from './subscriptions';
export * from './catalog';
export * from './cloudevents';
