import type { BackupManifest } from './manifest';
import { BackupPruner, type PruneStore } from './prune';

/** Repository objects in memory; records every delete in order. */
class FakePruneStore implements PruneStore {
  readonly deleted: string[] = [];
  constructor(
    readonly manifests: Map<string, { packs: string[]; size: number; parts?: string[] } | 'unreadable'>,
    readonly packs: Map<string, number>,
    readonly indexes: Map<string, number>,
    /** Stored manifest parts: name -> size. */
    readonly parts = new Map<string, number>(),
  ) {}

  async listManifests() {
    return [...this.manifests].map(([id, m]) => ({ id, size: m === 'unreadable' ? 1 : m.size }));
  }
  async getManifestAndParts(id: string): Promise<{ manifest: BackupManifest; parts: string[] }> {
    const m = this.manifests.get(id);
    if (!m || m === 'unreadable') throw new Error(`object manifests/${id}.json fails authentication`);
    return {
      manifest: {
        packs: m.packs,
        chunks: Object.fromEntries(m.packs.map((p, i) => [`c${i}`, { pack: p, offset: 0, length: 1, size: 1 }])),
      } as unknown as BackupManifest,
      parts: m.parts ?? [],
    };
  }
  async listPacks() {
    return [...this.packs].map(([name, size]) => ({ name, size }));
  }
  async listIndexes() {
    return [...this.indexes].map(([name, size]) => ({ name, size }));
  }
  async listManifestParts() {
    return [...this.parts].map(([name, size]) => ({ name, size }));
  }
  async removeManifest(id: string) {
    this.deleted.push(`manifests/${id}`);
  }
  async removeManifestPart(name: string) {
    this.deleted.push(`manifest-parts/${name}`);
  }
  async removeIndex(name: string) {
    this.deleted.push(`index/${name}`);
  }
  async removePack(name: string) {
    this.deleted.push(`packs/${name}`);
  }
}

function store(): FakePruneStore {
  return new FakePruneStore(
    new Map([
      ['old', { packs: ['p1', 'p2'], size: 10 }],
      ['new', { packs: ['p2', 'p3'], size: 20 }],
    ]),
    new Map([
      ['p1', 1000],
      ['p2', 2000],
      ['p3', 3000],
      ['orphan', 400],
    ]),
    new Map([
      ['p1', 100],
      ['p2', 200],
      ['p3', 300],
      ['orphan', 40],
      ['gone-pack', 4],
    ]),
  );
}

describe(BackupPruner.name, () => {
  it('deletes manifests, then indexes, then packs no remaining backup needs (orphans too)', async () => {
    const fake = store();
    const sut = new BackupPruner(fake);

    const result = await sut.prune({ remove: ['old', 'never-existed'] });

    expect(result).toEqual({
      removedBackups: ['old'],
      missingBackups: ['never-existed'],
      removedPacks: 2,
      keptPacks: 2,
      freedBytes: 10 + 1000 + 400 + 100 + 40 + 4,
      dryRun: false,
    });
    const phase = (key: string) => ['manifests', 'index', 'packs'].indexOf(key.split('/')[0]);
    expect(fake.deleted.map(phase)).toEqual([...fake.deleted.map(phase)].sort());
    expect(fake.deleted.sort()).toEqual(
      ['index/gone-pack', 'index/orphan', 'index/p1', 'manifests/old', 'packs/orphan', 'packs/p1'].sort(),
    );
  });

  it("deletes the manifest parts no remaining manifest lists (a removed backup's, a crashed backup's), after the manifests and before the indexes", async () => {
    const fake = store();
    fake.manifests.set('old', { packs: ['p1', 'p2'], size: 10, parts: ['shared', 'only-old'] });
    fake.manifests.set('new', { packs: ['p2', 'p3'], size: 20, parts: ['shared', 'only-new'] });
    for (const [name, size] of [
      ['shared', 5],
      ['only-old', 6],
      ['only-new', 7],
      ['from-a-crashed-backup', 8],
    ] as const)
      fake.parts.set(name, size);

    const result = await new BackupPruner(fake).prune({ remove: ['old'] });

    expect(result.freedBytes).toBe(10 + 1000 + 400 + 100 + 40 + 4 + 6 + 8);
    const phase = (key: string) => ['manifests', 'manifest-parts', 'index', 'packs'].indexOf(key.split('/')[0]);
    expect(fake.deleted.map(phase)).toEqual([...fake.deleted.map(phase)].sort());
    expect(fake.deleted.filter((k) => k.startsWith('manifest-parts/')).sort()).toEqual([
      'manifest-parts/from-a-crashed-backup',
      'manifest-parts/only-old',
    ]);
  });

  it('stops before its next delete once its signal fires, saying a rerun finishes the job', async () => {
    const fake = store();
    const lockLost = new AbortController();
    const removeManifest = fake.removeManifest.bind(fake);
    fake.removeManifest = async (id: string) => {
      await removeManifest(id);
      lockLost.abort(new Error('lost the exclusive lock'));
    };

    const attempt = new BackupPruner(fake).prune({ remove: ['old'], signal: lockLost.signal });

    await expect(attempt).rejects.toThrow(
      /prune stopped after freeing 10 bytes: lost the exclusive lock\. Run it again to finish/,
    );
    expect(fake.deleted).toEqual(['manifests/old']);
  });

  it('computes the same on a dry run and deletes nothing', async () => {
    const fake = store();
    const sut = new BackupPruner(fake);

    const dry = await sut.prune({ remove: ['old'], dryRun: true });
    const real = await new BackupPruner(store()).prune({ remove: ['old'] });

    expect(fake.deleted).toEqual([]);
    expect(dry).toEqual({ ...real, dryRun: true });
  });

  it('removes only orphans when no backup is named', async () => {
    const fake = store();

    const result = await new BackupPruner(fake).prune({ remove: [] });

    expect(result).toMatchObject({ removedBackups: [], removedPacks: 1, keptPacks: 3 });
    expect(fake.deleted.sort()).toEqual(['index/gone-pack', 'index/orphan', 'packs/orphan']);
  });

  it('deletes nothing when a remaining manifest cannot be read, and says what to do', async () => {
    const fake = store();
    fake.manifests.set('broken', 'unreadable');

    const attempt = new BackupPruner(fake).prune({ remove: ['old'] });

    await expect(attempt).rejects.toThrow(
      /prune stopped before deleting anything: the manifest of backup broken cannot be read .* add broken to the backups to remove/,
    );
    expect(fake.deleted).toEqual([]);
  });

  it('refuses something that is not a backup id before deleting anything', async () => {
    const fake = store();

    const attempt = new BackupPruner(fake).prune({ remove: ['../config'] });

    await expect(attempt).rejects.toThrow(/cannot prune backup "\.\.\/config": not a backup id/);
    expect(fake.deleted).toEqual([]);
  });

  it('reports progress ending at 100', async () => {
    const seen: number[] = [];

    await new BackupPruner(store()).prune({ remove: ['old'], onProgress: (p) => void seen.push(p.percent) });

    expect(seen[seen.length - 1]).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});
