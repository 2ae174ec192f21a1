export * from './types';
export * from './create';
export * from './rabbitmq/index';
