import { CodedError } from '@lockstep/contracts';

/** Error codes raised by the releases lib (publishing, keys, TUF metadata in the bucket). */
export const ReleaseErrorCode = {
  InvalidInput: 'RELEASE_INVALID_INPUT',
  ArtifactTooLarge: 'RELEASE_ARTIFACT_TOO_LARGE',
  ArtifactUnreadable: 'RELEASE_ARTIFACT_UNREADABLE',
  VersionConflict: 'RELEASE_VERSION_CONFLICT',
  KeyFileExists: 'RELEASE_KEY_FILE_EXISTS',
  KeyFileInvalid: 'RELEASE_KEY_FILE_INVALID',
  KeyFilePassphrase: 'RELEASE_KEY_FILE_PASSPHRASE',
  KeysDoNotMatchRoot: 'RELEASE_KEYS_DO_NOT_MATCH_ROOT',
  RepositoryCorrupt: 'RELEASE_REPOSITORY_CORRUPT',
  RepositoryMissing: 'RELEASE_REPOSITORY_MISSING',
  RepositoryBusy: 'RELEASE_REPOSITORY_BUSY',
  RepositoryUntrusted: 'RELEASE_REPOSITORY_UNTRUSTED',
} as const;
export type ReleaseErrorCode = (typeof ReleaseErrorCode)[keyof typeof ReleaseErrorCode];

/** A release could not be published, or keys / TUF metadata could not be used. The message says what to do next. */
export class ReleaseError extends CodedError<ReleaseErrorCode> {
  override name = 'ReleaseError';
}
