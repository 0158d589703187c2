import type { BackupEngine, PruneRequest } from '@lockstep/backup-engine';
import type { BackupRecordV1, BackupType } from '@lockstep/contracts';
import { BackupJobs, refuseForeign } from './backup-jobs';
import { sameDatabase } from './database-identity';
import { newBackupRecord } from './backup-records';
import type { BackupRepositoryLock } from './repository-lock';

const backup = (id: string, type: BackupType, createdAt: string): BackupRecordV1 => ({
  ...newBackupRecord({
    id,
    type,
    trigger: 'schedule',
    component: 'shop',
    componentVersion: '1.0.0',
    nodeId: null,
    encrypted: false,
    createdAt,
  }),
  status: 'completed',
});

describe(`${BackupJobs.name} prune`, () => {
  it('applies retention per backup type, so newer config-only backups never push out the last full one', async () => {
    const pruned: PruneRequest[] = [];
    const engine = {
      prune: async (req: PruneRequest) => (
        pruned.push(req),
        { removedBackups: req.remove, missingBackups: [], removedPacks: 0, keptPacks: 0, freedBytes: 0, dryRun: false }
      ),
    } as unknown as BackupEngine;
    const lock = { exclusive: async () => ({ release: async () => undefined }) } as unknown as BackupRepositoryLock;
    const recorded: BackupRecordV1[] = [];
    const sut = new BackupJobs({
      engine: async () => engine,
      lock,
      targets: { config: [], data: [], logs: [], databases: [], excludes: [] },
      record: async (b) => void recorded.push(b),
      encrypted: false,
      now: () => new Date('2026-12-04T12:00:00Z'),
    });
    const catalogue = [
      backup('full_1', 'full', '2026-12-01T00:00:00Z'),
      backup('full_2', 'full', '2026-12-02T00:00:00Z'),
      backup('config_1', 'config', '2026-12-03T00:00:00Z'),
      backup('config_2', 'config', '2026-12-04T00:00:00Z'),
    ];

    const outcome = await sut.prune(catalogue, { keepLast: 1 }, 'op-1', false);

    expect(outcome.removedBackups.sort()).toEqual(['config_1', 'full_1']);
    expect(pruned[0].remove.sort()).toEqual(['config_1', 'full_1']);
    expect(recorded.map((b) => [b.id, b.status])).toEqual(
      expect.arrayContaining([
        ['full_1', 'pruned'],
        ['config_1', 'pruned'],
      ]),
    );
  });

  it('records pruned the backups whose manifests a prune deleted before it stopped, and only those', async () => {
    const engine = {
      prune: async () => {
        throw new Error('prune stopped after freeing 10 bytes: lost the lock');
      },
      list: async () => ['full_2', 'config_2', 'config_1'], // full_1's manifest went before the stop
    } as unknown as BackupEngine;
    const lock = { exclusive: async () => ({ release: async () => undefined }) } as unknown as BackupRepositoryLock;
    const recorded: BackupRecordV1[] = [];
    const sut = new BackupJobs({
      engine: async () => engine,
      lock,
      targets: { config: [], data: [], logs: [], databases: [], excludes: [] },
      record: async (b) => void recorded.push(b),
      encrypted: false,
    });
    const catalogue = [
      backup('full_1', 'full', '2026-12-01T00:00:00Z'),
      backup('full_2', 'full', '2026-12-02T00:00:00Z'),
      backup('config_1', 'config', '2026-12-03T00:00:00Z'),
      backup('config_2', 'config', '2026-12-04T00:00:00Z'),
    ];

    const attempt = sut.prune(catalogue, { keepLast: 1 }, 'op-2', false);

    await expect(attempt).rejects.toThrow(/lost the lock/);
    expect(recorded.map((b) => [b.id, b.status])).toEqual([['full_1', 'pruned']]);
  });
});

describe(refuseForeign.name, () => {
  const own = { nodeId: 'node-1', component: 'shop' };
  const taken = (nodeId: string | null, component: string): BackupRecordV1 => ({
    ...backup('preupdate_x', 'full', '2026-12-04T10:00:00Z'),
    nodeId,
    component,
  });

  it('accepts a backup of this node and component', () => {
    expect(() => refuseForeign(taken('node-1', 'shop'), own)).not.toThrow();
  });

  it.each([
    [
      'another node',
      taken('node-2', 'shop'),
      /taken on node node-2 for component shop, and this agent serves node node-1/,
    ],
    ['another component', taken('node-1', 'billing'), /taken on node node-1 for component billing/],
    ['the control plane', taken(null, 'shop'), /taken on the control plane \(no node\)/],
  ])('refuses a backup of %s with BACKUP_FOREIGN, saying what to do', (_what, b, message) => {
    const act = () => refuseForeign(b, own);

    expect(act).toThrow(expect.objectContaining({ code: 'BACKUP_FOREIGN', message: expect.stringMatching(message) }));
    expect(act).toThrow(/Nothing was changed\. Restore one of this node's own backups/);
  });
});

describe(sameDatabase.name, () => {
  it.each([
    ['postgres://lockstep:pw@postgres:5432/lockstep', 'postgres://other@POSTGRES/lockstep', true],
    ['postgres://a@db:5432/lockstep', 'postgresql://a@db:5432/lockstep?sslmode=require', true],
    ['postgres://a@db:5432/lockstep', 'postgres://a@db:5433/lockstep', false],
    ['postgres://a@db/lockstep', 'postgres://a@db/shop', false],
    ['postgres://a@db/lockstep', 'postgres://a@db2/lockstep', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(sameDatabase(a, b)).toBe(expected);
  });
});
