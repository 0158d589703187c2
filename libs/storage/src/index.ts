export * from './object-store.port';
export * from './errors';
export * from './minio-object-store';
