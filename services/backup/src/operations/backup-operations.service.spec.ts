import { newBackupRecord, type JobProgress } from '@lockstep/backup-jobs';
import { Subjects, type BackupRecordV1 } from '@lockstep/contracts';
import type { EventPublisher, NatsClient } from '@lockstep/messaging';
import { fixedSettings, type BackupOperationEntity, type SettingsSource } from '@lockstep/persistence';
import type { BackupServiceConfig } from '../backup.config';
import type { BackupCatalogue } from '../catalogue/backup-catalogue';
import type { BackupCatalogueService } from '../catalogue/backup-catalogue.service';
import type { BackupOperationsRepository } from './backup-operations.repository';
import { BackupOperationsService } from './backup-operations.service';

const operationId = '00000000-0000-4000-8000-000000000001';
const config = {
  NATS_NAMESPACE: 'lockstep',
  NATS_REPLICAS: 1,
  BACKUP_REPLICA_ID: 'backup@test',
  BACKUP_COMPONENT: 'lockstep',
  BACKUP_LOCK_LEASE: 15_000,
  BACKUP_KEEP_LAST: 3,
  BACKUP_MAX_AGE: undefined,
  BACKUP_KEEP_DAILY: 0,
  BACKUP_KEEP_WEEKLY: 2,
  BACKUP_KEEP_MONTHLY: 0,
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_ACCESS_KEY: 'a',
  S3_SECRET_KEY: 's',
} as unknown as BackupServiceConfig;

const record = (over: Partial<BackupRecordV1> = {}): BackupRecordV1 => ({
  ...newBackupRecord({
    id: 'backup_1',
    type: 'full',
    trigger: 'manual',
    component: 'lockstep',
    componentVersion: '1.0.0',
    nodeId: null,
    encrypted: false,
    createdAt: '2026-01-01T00:00:00.000Z',
  }),
  status: 'completed',
  ...over,
});

const operation = (state: BackupOperationEntity['state']) => ({ id: operationId, state }) as BackupOperationEntity;

describe(BackupOperationsService.name, () => {
  const jobs = {
    create: jest.fn(),
    verify: jest.fn(),
    restore: jest.fn(),
    prune: jest.fn(),
    creatingRecord: jest.fn(),
    settleInterrupted: jest.fn(),
  };
  const openJobs = jest.fn();
  const catalogue = { get: jest.fn(), all: jest.fn(), componentVersion: jest.fn() };
  const changes = { record: jest.fn() };
  const operations = { start: jest.fn(), progress: jest.fn(), finish: jest.fn(), controlPlaneRestore: jest.fn() };
  const publisher = { publish: jest.fn() };
  let settings: SettingsSource;
  let sut: BackupOperationsService;

  beforeEach(async () => {
    jest.resetAllMocks();
    openJobs.mockResolvedValue(jobs);
    catalogue.componentVersion.mockResolvedValue('1.0.0');
    operations.progress.mockResolvedValue(undefined);
    operations.controlPlaneRestore.mockReturnValue({ finalSql: () => '', keepTables: ['public.audit_log'] });
    publisher.publish.mockResolvedValue(undefined);
    settings = fixedSettings();
    sut = new BackupOperationsService(
      config,
      openJobs,
      { nc: {} } as unknown as NatsClient,
      catalogue as unknown as BackupCatalogue,
      changes as unknown as BackupCatalogueService,
      operations as unknown as BackupOperationsRepository,
      publisher as unknown as EventPublisher,
      { get: (key) => settings.get(key), override: (key) => settings.override(key) },
    );
    await sut.open();
  });

  it('opens jobs that record and announce every catalogue change through the catalogue service', async () => {
    const backup = record();

    await openJobs.mock.calls[0][0].record(backup);

    expect(openJobs).toHaveBeenCalledWith(
      expect.objectContaining({
        namespace: 'lockstep',
        holder: 'backup@test',
        leaseMs: 15_000,
        replicas: 1,
        controlPlane: expect.objectContaining({ databaseUrl: config.DATABASE_URL, keepTables: ['public.audit_log'] }),
      }),
    );
    expect(changes.record).toHaveBeenCalledWith(backup);
  });

  it('dead-letters a command whose operation the API never recorded', async () => {
    operations.start.mockResolvedValue(null);

    const outcome = await sut.execute({ kind: 'prune', operationId, dryRun: false });

    expect(outcome).toEqual({
      kind: 'invalid',
      reason: `operation ${operationId} is not recorded in backup_operations; operations are requested through the API`,
    });
    expect(operations.finish).not.toHaveBeenCalled();
  });

  it.each(['succeeded', 'failed'] as const)('acks a duplicate of an operation that already %s', async (state) => {
    operations.start.mockResolvedValue(operation(state));

    const outcome = await sut.execute({ kind: 'prune', operationId, dryRun: false });

    expect(outcome).toEqual({ kind: 'ack' });
    expect(jobs.prune).not.toHaveBeenCalled();
    expect(operations.finish).not.toHaveBeenCalled();
  });

  it("creates a backup of the service's component at its current version and records the result", async () => {
    operations.start.mockResolvedValue(operation('queued'));
    const backup = record();
    jobs.create.mockResolvedValue(backup);

    const outcome = await sut.execute({
      kind: 'create',
      operationId,
      backupId: 'backup_1',
      type: 'full',
      description: 'before upgrade',
      includeLogs: false,
      compress: true,
      trigger: 'manual',
    });

    expect(outcome).toEqual({ kind: 'ack' });
    expect(jobs.create).toHaveBeenCalledWith(
      expect.objectContaining({
        id: 'backup_1',
        component: 'lockstep',
        componentVersion: '1.0.0',
        nodeId: null,
        operationId,
      }),
      expect.any(Function),
    );
    expect(operations.finish).toHaveBeenCalledWith(operationId, {
      state: 'succeeded',
      result: { backupId: 'backup_1', backup },
    });
  });

  it.each([
    ['completed when its manifest made it', record({ status: 'completed' }), 'succeeded', null],
    [
      'failed when it did not',
      record({ status: 'failed', error: 'interrupted before the manifest' }),
      'failed',
      'interrupted before the manifest',
    ],
  ])('settles a create interrupted by a dead worker: %s', async (_name, settled, state, error) => {
    operations.start.mockResolvedValue(operation('running'));
    catalogue.get.mockResolvedValue(record({ status: 'creating' }));
    jobs.settleInterrupted.mockResolvedValue(settled);

    await sut.execute({
      kind: 'create',
      operationId,
      backupId: 'backup_1',
      type: 'full',
      description: '',
      includeLogs: false,
      compress: true,
      trigger: 'manual',
    });

    expect(jobs.create).not.toHaveBeenCalled();
    expect(jobs.settleInterrupted).toHaveBeenCalledWith(record({ status: 'creating' }));
    expect(operations.finish).toHaveBeenCalledWith(operationId, expect.objectContaining({ state }));
    if (error) expect(operations.finish.mock.calls[0][1].error).toBe(error);
  });

  it('records a verify that found damaged packs failed, with its report', async () => {
    operations.start.mockResolvedValue(operation('queued'));
    catalogue.get.mockResolvedValue(record());
    jobs.verify.mockResolvedValue({
      backup: record({ status: 'corrupted' }),
      report: { ok: false, corruptedPacks: ['p1'], problems: ['p1: bad tag'], packsChecked: 2, chunksChecked: 9 },
    });

    await sut.execute({ kind: 'verify', operationId, backupId: 'backup_1' });

    expect(operations.finish).toHaveBeenCalledWith(operationId, {
      state: 'failed',
      error: 'backup backup_1 is corrupted: 1 damaged pack(s): p1',
      result: {
        ok: false,
        corruptedPacks: ['p1'],
        problems: ['p1: bad tag'],
        packsChecked: 2,
        chunksChecked: 9,
        status: 'corrupted',
      },
    });
  });

  it('refuses to restore a backup the catalogue does not know, saying where to look', async () => {
    operations.start.mockResolvedValue(operation('queued'));
    catalogue.get.mockResolvedValue(undefined);

    await sut.execute({
      kind: 'restore',
      operationId,
      backupId: 'backup_9',
      what: 'all',
      databaseMode: 'replace',
      keepSpecialBits: false,
    });

    expect(jobs.restore).not.toHaveBeenCalled();
    expect(operations.finish).toHaveBeenCalledWith(operationId, {
      state: 'failed',
      error: 'backup backup_9 is not in the catalogue; see lockstep backup list',
      result: null,
    });
  });

  it('prunes the catalogue with the retention settings, leaving unset limits out', async () => {
    operations.start.mockResolvedValue(operation('queued'));
    const all = [record()];
    catalogue.all.mockResolvedValue(all);
    jobs.prune.mockResolvedValue({ kept: 1, pruned: [] });

    await sut.execute({ kind: 'prune', operationId, dryRun: true });

    expect(jobs.prune).toHaveBeenCalledWith(
      all,
      { keepLast: 3, maxAgeMs: undefined, keepDaily: undefined, keepWeekly: 2, keepMonthly: undefined },
      operationId,
      true,
      expect.any(Function),
    );
    expect(operations.finish).toHaveBeenCalledWith(operationId, {
      state: 'succeeded',
      result: { kept: 1, pruned: [] },
    });
  });

  it('keeps backup.keep_last backups when an operator set it, read at the prune', async () => {
    operations.start.mockResolvedValue(operation('queued'));
    catalogue.all.mockResolvedValue([]);
    jobs.prune.mockResolvedValue({ kept: 0, pruned: [] });
    settings = fixedSettings({ 'backup.keep_last': 10 });

    await sut.execute({ kind: 'prune', operationId, dryRun: false });

    expect(jobs.prune.mock.calls[0][1]).toMatchObject({ keepLast: 10, keepWeekly: 2 });
  });

  it('writes each progress report to the operation and publishes it, in order', async () => {
    operations.start.mockResolvedValue(operation('queued'));
    catalogue.all.mockResolvedValue([]);
    jobs.prune.mockImplementation(
      (_all: unknown, _policy: unknown, _id: string, _dry: boolean, progress: (p: JobProgress) => void) => {
        progress({ step: 'scanning', percent: 10.4 });
        progress({ step: 'deleting', percent: 80, message: '2 packs' });
        return Promise.resolve({});
      },
    );

    await sut.execute({ kind: 'prune', operationId, dryRun: false });
    await new Promise((resolve) => setImmediate(resolve));

    expect(operations.progress.mock.calls).toEqual([
      [operationId, 'scanning', 10.4, undefined],
      [operationId, 'deleting', 80, '2 packs'],
    ]);
    expect(publisher.publish.mock.calls.map(([subject, p]) => [subject, p.step, p.percent])).toEqual([
      [Subjects.BackupProgress, 'scanning', 10.4],
      [Subjects.BackupProgress, 'deleting', 80],
    ]);
  });
});
