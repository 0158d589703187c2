export * from './errors';
export * from './release-layout';
export * from './release-target-custom';
export * from './tuf-keys';
export * from './tuf-signing';
export * from './tuf-metadata-bucket';
export * from './tuf-repository-writer';
export * from './trusted-root';
export * from './tuf-fetchers';
export * from './tuf-failure';
/** Attack fixtures for tests of TUF readers (rollback, tampered artifact, foreign signatures). */
export * from './testing/tuf-fixtures';
