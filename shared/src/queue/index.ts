export * from './types';
export * from './create';
