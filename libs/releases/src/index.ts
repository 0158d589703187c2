export * from './errors';
export {
  assertComponentName,
  assertVersionText,
  assertChannel,
  tufPrefixFor,
  artifactsPrefixFor,
  targetPathFor,
  artifactKeyFor,
} from './release-layout';
export * from './release-target-custom';
export {
  generateSigningKey,
  generateKeySet,
  serializeKeySet,
  parseKeySet,
  writeKeyFile,
  readKeyFile,
  initKeyFile,
  serializeOnlineKeySet,
  parseOnlineKeySet,
  withNewKey,
  stageKeyFile,
  TufRoles,
  OfflineRoles,
  OnlineRoles,
  KEY_FILE_NAME,
  ONLINE_KEY_FILE_NAME,
  type TufKeySet,
  type TufOnlineKeySet,
  type TufRole,
  type OnlineRole,
} from './tuf-keys';
export { type ExpiryPolicy, DEFAULT_EXPIRY_MS } from './tuf-signing';
export { assertPassphraseStrength, isSealedKeyFile, SEALED_KEY_FILE_FORMAT } from './key-file-seal';
export {
  type PublishReleaseResult,
  type RefreshOnlineInput,
  type RefreshOnlineResult,
  type TufExpiry,
  type TufVersions,
  TufRepositoryWriter,
} from './tuf-repository-writer';
export { TufRepositoryVerifier, type TufVersionFloor } from './tuf-repository-verifier';
export {
  expiryPolicyFor,
  markOnlineRefresher,
  ONLINE_REFRESHER_MARK,
  ONLINE_REFRESHER_MAX_AGE_MS,
  UNREFRESHED_EXPIRY_MS,
} from './online-refresher-mark';
export * from './trusted-root';
export * from './tuf-fetchers';
export { classifyTufFailure, exceededSizeLimit, fetchFailureBehind, tufFailureDetail } from './tuf-failure';
/** Attack fixtures for tests of TUF readers (rollback, tampered artifact, foreign signatures). */
export {
  captureTufMetadata,
  forgeNextRoot,
  publishTestRelease,
  tamperArtifactByte,
  resignRoleWithKey,
} from './testing/tuf-fixtures';
