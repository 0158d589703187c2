export {
  BackupErrorCode,
  BackupEngineError,
  WrongKeyError,
  BackupCorruptedError,
  UnsafePathError,
  BackupAbortedError,
  ExternalCommandError,
} from './errors';
export { manifestDigest, type DatabaseEntry, type TreeEntry, type BackupStats, type BackupManifest } from './manifest';
export * from './zstd.process';
export { defaultCompressor } from './zstd.native';
export { finishInterruptedRestores } from './restore-swap';
export { type VerifyReport } from './backup-verifier';
export { type Progress } from './progress';
export { selectRetention, type RetentionPolicy, type RetentionPlan } from './retention';
export { type PruneRequest } from './prune';
export { BackupEngine } from './backup-engine';
export { checkRestoreTarget } from './backup-restorer';
export * from './stream-source';
export { pgDumpSource } from './postgres-dump';
export { DatabaseRestoreMethod, type DatabaseRestoreRequest, type DatabaseRestoreResult } from './database-restorer';
export { rawFrame, rawFrameOverhead } from './zstd-frame';
