export * from './object-store.port';
export * from './errors';
export { MAX_OBJECT_BYTES, type S3Settings, MinioObjectStore } from './minio-object-store';
