export * from './delivery-time';
