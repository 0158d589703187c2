import type { BackupEngine, BackupManifest, DatabaseRestoreRequest } from '@lockstep/backup-engine';
import { newBackupRecord } from './backup-records';
import { RestoreJob, type ControlPlaneDatabase, type RestoreRequest } from './restore-job';

// port 1: nothing answers, so the control plane is recognised by the URL as written (the fallback)
const CONTROL_PLANE_URL = 'postgres://lockstep@127.0.0.1:1/lockstep';
const backup = newBackupRecord({
  id: 'cp1',
  type: 'database',
  trigger: 'manual',
  component: 'lockstep',
  componentVersion: null,
  nodeId: null,
  encrypted: false,
  createdAt: '2026-12-07T09:00:00.000Z',
});
const manifest = {
  id: 'cp1',
  entries: [{ type: 'database', database: 'lockstep', path: 'db/lockstep.dump', size: 1, sha256: 'x', chunks: [] }],
} as unknown as BackupManifest;

describe(RestoreJob.name, () => {
  const restoreDatabase = jest.fn();
  const restored = jest.fn();
  const controlPlane: ControlPlaneDatabase = {
    databaseUrl: CONTROL_PLANE_URL,
    finalSql: (id) => `-- fix-up for ${id}`,
    keepTables: ['public.api_tokens', 'public.audit_log'],
    restored,
  };
  const run = (databaseMode: RestoreRequest['databaseMode']) =>
    new RestoreJob(
      { restoreDatabase } as unknown as BackupEngine,
      backup,
      manifest,
      { what: 'database', databaseMode, operationId: 'op' },
      () => undefined,
      {
        targets: { config: [], data: [], logs: [], databases: [CONTROL_PLANE_URL], excludes: [] },
        record: () => Promise.resolve(),
        now: () => new Date('2026-12-07T10:00:00Z'),
        controlPlane,
      },
    ).run();

  beforeEach(() => {
    jest.resetAllMocks();
    restoreDatabase.mockImplementation((_id: string, r: DatabaseRestoreRequest) =>
      Promise.resolve({ target: new URL(r.targetUrl).pathname.slice(1), mode: r.mode, leftOut: r.keepTables ?? [] }),
    );
    restored.mockResolvedValue(undefined);
  });

  it.each([
    ['replace', ['public.api_tokens', 'public.audit_log'], 'lockstep'],
    ['new', undefined, 'lockstep_restored_20261207100000'],
  ] as const)(
    'restores the control plane (%s) keeping %j, then reports it restored',
    async (mode, keepTables, target) => {
      await run(mode);

      expect(restoreDatabase.mock.calls[0][1]).toMatchObject({ finalSql: '-- fix-up for cp1' });
      expect((restoreDatabase.mock.calls[0][1] as DatabaseRestoreRequest).keepTables).toEqual(keepTables);
      expect(restored).toHaveBeenCalledWith({
        backupId: 'cp1',
        database: 'lockstep',
        target,
        mode,
        leftOut: keepTables ?? [],
      });
    },
  );

  it('says the database was restored when recording the restore fails', async () => {
    restored.mockRejectedValue(new Error('audit_head is locked'));

    const attempt = run('replace');

    await expect(attempt).rejects.toMatchObject({
      code: 'BACKUP_RESTORE_PARTIAL',
      message: expect.stringMatching(/^database lockstep was restored into lockstep .*audit_head is locked/),
    });
  });
});
