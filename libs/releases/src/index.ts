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
  TufRoles,
  KEY_FILE_NAME,
  type TufKeySet,
} from './tuf-keys';
export { type ExpiryPolicy } from './tuf-signing';
export { type PublishReleaseResult, TufRepositoryWriter } from './tuf-repository-writer';
export * from './trusted-root';
export * from './tuf-fetchers';
export { classifyTufFailure, fetchFailureBehind, tufFailureDetail } from './tuf-failure';
/** Attack fixtures for tests of TUF readers (rollback, tampered artifact, foreign signatures). */
export { captureTufMetadata, tamperArtifactByte, resignRoleWithKey } from './testing/tuf-fixtures';
