import type { BackupOperationView, BackupRecordV1 } from '@lockstep/contracts';

/** Builders of the API's backup answers, for the CLI's specs. */

export const OPERATION_ID = '7e57c0de-1111-4222-8333-444455556666';

export const backupRecord = (id: string, over: Partial<BackupRecordV1> = {}): BackupRecordV1 => ({
  id,
  type: 'full',
  trigger: 'manual',
  status: 'completed',
  component: 'demo',
  componentVersion: '1.0.0',
  nodeId: null,
  rolloutId: null,
  description: '',
  encrypted: false,
  compressed: true,
  sizeBytes: 3 * 1024 * 1024,
  storedBytes: 1536 * 1024,
  uploadedBytes: 1024,
  files: 12,
  packs: 2,
  durationMs: 4200,
  error: null,
  corruptedPacks: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  completedAt: '2026-01-01T00:00:04.200Z',
  verifiedAt: null,
  ...over,
});

export const backupOperation = (over: Partial<BackupOperationView> = {}): BackupOperationView => ({
  id: OPERATION_ID,
  kind: 'create',
  backupId: 'nightly',
  state: 'queued',
  step: null,
  percent: 0,
  message: null,
  error: null,
  result: null,
  requestedAt: '2026-01-01T00:01:00.000Z',
  startedAt: null,
  finishedAt: null,
  ...over,
});
