export * from './client';
export * from './schema';
export * from './migrate';
export * from './errors';
