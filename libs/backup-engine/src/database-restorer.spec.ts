import { createHash, randomBytes } from 'node:crypto';
import { BackupCorruptedError, ExternalCommandError } from './errors';
import { DatabaseRestorer, DatabaseRestoreMethod } from './database-restorer';
import { manifestDigest, type BackupManifest, type ChunkLocation } from './manifest';
import { FakePackStore, fakeCompressor } from './pack-io.fakes';
import { PackWriter } from './pack-writer';
import { FakeProcessRunner } from './process-runner.fakes';

const URL_APP = 'postgres://postgres@127.0.0.1:5432/app_restored';

async function backedUpDump(store: FakePackStore, dump: Buffer): Promise<BackupManifest> {
  const writer = new PackWriter(store, fakeCompressor, new Map());
  const parts = [dump.subarray(0, 1000), dump.subarray(1000, 2500), dump.subarray(2500)];
  const chunks: string[] = [];
  for (const p of parts) chunks.push(await writer.add(p));
  await writer.flush();
  const chunkMap: Record<string, ChunkLocation> = {};
  for (const id of chunks) chunkMap[id] = writer.known.get(id)!;
  const body: Omit<BackupManifest, 'sha256'> = {
    version: 1,
    id: 'backup_test',
    createdAt: new Date(0).toISOString(),
    labels: {},
    entries: [
      {
        type: 'database',
        path: 'database/app.dump',
        database: 'app',
        format: 'pg-custom',
        size: dump.length,
        sha256: createHash('sha256').update(dump).digest('hex'),
        chunks,
      },
    ],
    chunks: chunkMap,
    packs: [...new Set(Object.values(chunkMap).map((l) => l.pack))],
    stats: {
      bytesRead: dump.length,
      bytesUploaded: 0,
      packs: 1,
      newChunks: 3,
      reusedChunks: 0,
      sizeBeforeCompression: 0,
      sizeAfterCompression: 0,
      durationMs: 0,
    },
  };
  return { ...body, sha256: manifestDigest(body) };
}

describe(DatabaseRestorer.name, () => {
  const dump = randomBytes(4000);

  it('feeds the dump to pg_restore in one transaction with --clean --if-exists', async () => {
    const store = new FakePackStore();
    const manifest = await backedUpDump(store, dump);
    const runner = new FakeProcessRunner();
    const sut = new DatabaseRestorer(store, fakeCompressor, runner);

    const result = await sut.restore(manifest, { mode: DatabaseRestoreMethod.SingleTransaction, targetUrl: URL_APP });

    expect(runner.calls.map((c) => c.command)).toEqual(['pg_restore']);
    expect(runner.calls[0].args).toEqual([
      '--no-owner',
      '--single-transaction',
      '--clean',
      '--if-exists',
      `--dbname=${URL_APP}`,
    ]);
    expect(runner.calls[0].stdin.equals(dump)).toBe(true);
    expect(result).toMatchObject({ database: 'app', target: 'app_restored', bytesRestored: dump.length });
  });

  it('reports verify, then the dump handed to pg_restore, then done, never going back', async () => {
    const store = new FakePackStore();
    const manifest = await backedUpDump(store, dump);
    const sut = new DatabaseRestorer(store, fakeCompressor, new FakeProcessRunner());
    const seen: Array<{ step: string; percent: number; bytesDone: number }> = [];

    await sut.restore(
      manifest,
      { mode: DatabaseRestoreMethod.SingleTransaction, targetUrl: URL_APP },
      { onProgress: (p) => void seen.push(p), progressIntervalMs: 0 },
    );

    expect([...new Set(seen.map((p) => p.step))]).toEqual(['verify', 'restore', 'done']);
    expect(seen.map((p) => p.percent)).toEqual([...seen.map((p) => p.percent)].sort((a, b) => a - b));
    expect(seen.at(-1)).toMatchObject({ step: 'done', percent: 100, bytesDone: dump.length });
    expect(seen.filter((p) => p.step === 'restore').every((p) => p.percent >= 50 && p.percent < 100)).toBe(true);
  });

  it('creates a new database, and drops it again when pg_restore fails', async () => {
    const store = new FakePackStore();
    const manifest = await backedUpDump(store, dump);
    const runner = new FakeProcessRunner({
      pg_restore: { exitCode: 1, stderr: 'pg_restore: error: could not execute query' },
    });
    const sut = new DatabaseRestorer(store, fakeCompressor, runner);

    const attempt = sut.restore(manifest, { mode: DatabaseRestoreMethod.NewDatabase, targetUrl: URL_APP });

    await expect(attempt).rejects.toBeInstanceOf(ExternalCommandError);
    await expect(attempt).rejects.toThrow(
      /^pg_restore failed with exit code 1: pg_restore: error: could not execute query\. The new database "app_restored" was dropped again/,
    );
    expect(runner.calls.map((c) => c.command)).toEqual(['createdb', 'pg_restore', 'dropdb']);
    expect(runner.calls[0].args).toEqual([
      '--maintenance-db=postgres://postgres@127.0.0.1:5432/postgres',
      'app_restored',
    ]);
    expect(runner.calls[2].args).toEqual([
      '--maintenance-db=postgres://postgres@127.0.0.1:5432/postgres',
      '--if-exists',
      'app_restored',
    ]);
  });

  it.each([
    [DatabaseRestoreMethod.SingleTransaction, undefined],
    [DatabaseRestoreMethod.NewDatabase, undefined],
    [DatabaseRestoreMethod.SingleTransaction, 'SELECT 1'],
  ])('keeps the password off the command line of every program it runs (%s, final SQL %s)', async (mode, finalSql) => {
    const store = new FakePackStore();
    const manifest = await backedUpDump(store, dump);
    const runner = new FakeProcessRunner({ pg_restore: { exitCode: 1 } });
    const sut = new DatabaseRestorer(store, fakeCompressor, runner);

    await sut
      .restore(manifest, { mode, targetUrl: 'postgres://u:hunter2@db:5432/app_restored', finalSql })
      .catch(() => undefined);

    expect(runner.calls.map((c) => c.command)).toContain(finalSql ? 'psql' : 'pg_restore');
    for (const call of runner.calls) {
      expect(call.args.join(' ')).not.toContain('hunter2');
      if (call.args.some((a) => a.startsWith('--dbname=') || a.startsWith('--maintenance-db=')))
        expect(call.env).toEqual({ PGPASSWORD: 'hunter2' });
    }
  });

  it('refuses a corrupted backup before running anything', async () => {
    const store = new FakePackStore();
    const manifest = await backedUpDump(store, dump);
    const [pack] = manifest.packs;
    store.packs.get(pack)![10] ^= 0xff;
    const runner = new FakeProcessRunner();
    const sut = new DatabaseRestorer(store, fakeCompressor, runner);

    const attempt = sut.restore(manifest, { mode: DatabaseRestoreMethod.SingleTransaction, targetUrl: URL_APP });

    await expect(attempt).rejects.toBeInstanceOf(BackupCorruptedError);
    expect(runner.calls).toEqual([]);
  });

  it.each([
    [undefined, /holds several databases; name one/],
    ['other', /holds no database "other"/],
  ])('names the problem when the database entry %p cannot be chosen', async (database, message) => {
    const store = new FakePackStore();
    const manifest = await backedUpDump(store, dump);
    manifest.entries.push({
      ...manifest.entries[0],
      path: 'database/app2.dump',
      database: 'app2',
    } as (typeof manifest.entries)[number]);
    const sut = new DatabaseRestorer(store, fakeCompressor, new FakeProcessRunner());

    const attempt = sut.restore(manifest, {
      database,
      mode: DatabaseRestoreMethod.SingleTransaction,
      targetUrl: URL_APP,
    });

    await expect(attempt).rejects.toThrow(message);
  });
});
