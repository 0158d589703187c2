import { CodedError } from '@lockstep/contracts';

/** Error codes raised by the storage lib. */
export const StorageErrorCode = {
  NotFound: 'STORAGE_NOT_FOUND',
  Unavailable: 'STORAGE_UNAVAILABLE',
  TooLarge: 'STORAGE_OBJECT_TOO_LARGE',
  InvalidArgument: 'STORAGE_INVALID_ARGUMENT',
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** A failure talking to the S3-protocol object store. */
export class StorageError extends CodedError<StorageErrorCode> {
  override name = 'StorageError';
}

/** The requested object does not exist. */
export class ObjectNotFoundError extends StorageError {
  override name = 'ObjectNotFoundError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(StorageErrorCode.NotFound, `object s3://${bucket}/${key} does not exist`, options);
  }
}
