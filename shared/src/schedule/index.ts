export * from './delivery-time';
export * from './schedule';
