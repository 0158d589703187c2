import { systemActor } from '@lockstep/contracts';
import { toBackupRecord, type BackupEntity } from '@lockstep/persistence';
import { ApiError } from '../http/api-error';
import type { BackupsRepository } from './backups.repository';
import { BackupsService, defaultBackupName, restoreEffects } from './backups.service';

const entity = (over: Partial<BackupEntity> = {}): BackupEntity => ({
  id: 'b1',
  type: 'full',
  trigger: 'manual',
  status: 'completed',
  component: 'demo',
  componentVersion: null,
  nodeId: null,
  rolloutId: null,
  description: '',
  encrypted: false,
  compressed: true,
  sizeBytes: '10',
  storedBytes: '5',
  uploadedBytes: '5',
  files: 1,
  packs: 1,
  durationMs: 1,
  error: null,
  corruptedPacks: [],
  createdAt: new Date(0),
  completedAt: null,
  verifiedAt: null,
  updatedAt: new Date(0),
  ...over,
});

const actor = systemActor('spec');

describe(BackupsService.name, () => {
  const repo = { now: jest.fn(), find: jest.fn(), enqueue: jest.fn(), enqueueCreate: jest.fn() };
  const sut = new BackupsService(repo as unknown as BackupsRepository);

  beforeEach(() => jest.resetAllMocks());

  it.each([
    ['2026-01-02T03:04:05.678Z', 'backup_20260102_030405'],
    ['2026-12-31T23:59:59.999Z', 'backup_20261231_235959'],
  ])('names a backup taken at %s %s by default', (at, name) => {
    expect(defaultBackupName(new Date(at))).toBe(name);
  });

  it('tells the operator to wait a second or pass --name when the default name is taken', async () => {
    repo.now.mockReturnValue(new Date('2026-01-02T03:04:05Z'));
    repo.enqueueCreate.mockResolvedValue({ taken: { by: 'operation', operationId: 'op-1', state: 'queued' } });

    const act = sut.create({ type: 'full', description: '', includeLogs: false, compress: true }, actor);

    await expect(act).rejects.toThrow(
      new ApiError(
        409,
        'BACKUP_NAME_TAKEN',
        'operation op-1 is already creating a backup named backup_20260102_030405 (queued); wait a second for the next default name, or pick another name with --name',
      ),
    );
  });

  it.each([
    [
      'replace files in place and the database',
      { what: 'all' as const },
      'restoring all from backup b1 overwrites the config and data files at their original places and the database in place (databaseMode new restores into a new database instead)',
    ],
    [
      'create a new database',
      { what: 'database' as const, databaseMode: 'new' as const },
      'restoring database from backup b1 creates a new database <name>_restored_<time> (the original is left alone)',
    ],
    [
      'write under another directory',
      { what: 'config' as const, to: '/srv/r' },
      'restoring config from backup b1 creates the config files in /srv/r (it must be empty or not exist: nothing there is replaced)',
    ],
  ])('says a restore would %s', (_name, body, text) => {
    expect(restoreEffects(toBackupRecord(entity()), body)).toBe(text);
  });

  it('refuses an unconfirmed restore without queueing anything', async () => {
    repo.find.mockResolvedValue(entity({ type: 'data_only' }));

    const act = sut.restore('b1', { what: 'all' }, actor);

    await expect(act).rejects.toMatchObject({
      status: 400,
      code: 'CONFIRM_REQUIRED',
      message:
        'restoring all from backup b1 overwrites the data files at their original places; add --confirm (confirm: true) once you are sure',
    });
    expect(repo.enqueue).not.toHaveBeenCalled();
  });

  it.each([
    ['all', 'config and data'],
    ['data', 'data'],
  ] as const)(
    "refuses to put a node backup's files back in place from the backup service (what %s), pointing at rollback --restore-data and --to",
    async (what, parts) => {
      repo.find.mockResolvedValue(entity({ nodeId: 'node-1', rolloutId: 'r-7', trigger: 'pre-update' }));

      const act = sut.restore('b1', { what, confirm: true }, actor);

      await expect(act).rejects.toMatchObject({
        status: 400,
        code: 'BACKUP_NODE_LOCAL',
        message: `backup b1 was taken on node node-1 by its agent: its ${parts} files belong on that node, which the backup service that runs restores cannot write to. Put them back there with \`lockstep rollback r-7 --restore-data\`, or unpack them elsewhere with --to DIR (--what database restores its database from here).`,
      });
      expect(repo.enqueue).not.toHaveBeenCalled();
    },
  );

  it.each([
    ['its database alone', { what: 'database' as const, confirm: true }],
    ['its files under another directory', { what: 'all' as const, to: '/srv/restore', confirm: true }],
  ])("queues a restore of a node backup's %s", async (_name, body) => {
    repo.find.mockResolvedValue(entity({ nodeId: 'node-1' }));
    repo.enqueue.mockResolvedValue({
      id: 'op',
      kind: 'restore',
      backupId: 'b1',
      state: 'queued',
      step: null,
      percent: 0,
      message: null,
      error: null,
      result: null,
      requestedAt: new Date(0),
      startedAt: null,
      finishedAt: null,
    });

    await sut.restore('b1', body, actor);

    expect(repo.enqueue).toHaveBeenCalledWith(
      expect.objectContaining({ kind: 'restore', backupId: 'b1', what: body.what }),
      actor,
    );
  });
});
