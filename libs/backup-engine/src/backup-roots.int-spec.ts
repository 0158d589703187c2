import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinioObjectStore } from '@lockstep/storage';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { BackupCorruptedError, BackupEngine, BackupErrorCode, type StreamSource } from '@lockstep/backup-engine';
import { snapshotTree } from './tree.fixtures';

/** A database-like stream of fixed bytes. */
const fakeDump = (bytes: Buffer): StreamSource => ({
  path: 'database/app.dump',
  database: 'app',
  format: 'pg-custom',
  async *open() {
    yield bytes;
  },
});

describe(`${BackupEngine.name} roots`, () => {
  let s3: S3ServerHandle;
  let work: string;
  const newStore = () =>
    new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('bkroots'),
    });

  /** Three roots as a node has them: two config directories and one data directory. */
  async function buildHost(name: string) {
    const host = join(work, name);
    const dirs = { app: join(host, 'etc/app'), other: join(host, 'etc/other'), shared: join(host, 'srv/shared') };
    await mkdir(join(dirs.app, 'conf.d'), { recursive: true });
    await mkdir(dirs.other, { recursive: true });
    await mkdir(join(dirs.shared, 'blobs'), { recursive: true });
    await writeFile(join(dirs.app, 'app.yml'), 'port: 8080\n');
    await writeFile(join(dirs.app, 'conf.d/extra.yml'), 'debug: false\n');
    await writeFile(join(dirs.app, 'app.log'), 'excluded\n');
    await chmod(dirs.app, 0o750);
    await writeFile(join(dirs.other, 'other.conf'), 'x=1\n');
    await writeFile(join(dirs.shared, 'blobs/one.bin'), randomBytes(1024 * 1024));
    await writeFile(join(dirs.shared, 'index.json'), '{}');
    const sources = [
      { prefix: 'config/app', dir: dirs.app, excludes: ['*.log'] },
      { prefix: 'config/other', dir: dirs.other },
      { prefix: 'data/shared', dir: dirs.shared },
    ];
    return { host, dirs, sources };
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    work = await mkdtemp(join(tmpdir(), 'lockstep-roots-'));
  });
  afterAll(async () => {
    await s3.stop(true);
    await rm(work, { recursive: true, force: true });
  });

  it('stores each root under its prefix and puts the selected roots back where they came from', async () => {
    const { dirs, sources } = await buildHost('host1');
    const expected = {
      app: await snapshotTree(dirs.app),
      other: await snapshotTree(dirs.other),
      shared: await snapshotTree(dirs.shared),
    };
    delete expected.app['app.log'];
    const dump = randomBytes(300 * 1024);
    const sut = await BackupEngine.open(newStore());

    const backup = await sut.backup({ sources, streams: [fakeDump(dump)] });
    await writeFile(join(dirs.app, 'app.yml'), 'port: 9999\n');
    await writeFile(join(dirs.app, 'added.yml'), 'new\n');
    await rm(dirs.other, { recursive: true });
    await writeFile(join(dirs.shared, 'index.json'), '{"changed":true}');
    const configOnly = await sut.restoreRoots(backup.id, { select: 'config' });
    const afterConfig = {
      app: await snapshotTree(dirs.app),
      other: await snapshotTree(dirs.other),
      shared: await snapshotTree(dirs.shared),
    };
    const everything = await sut.restoreRoots(backup.id);

    const m = backup.manifest;
    expect(m.roots).toEqual({ 'config/app': dirs.app, 'config/other': dirs.other, 'data/shared': dirs.shared });
    expect(
      m.entries.filter((e) => e.type === 'dir' && ['config/app', 'config/other', 'data/shared'].includes(e.path)),
    ).toHaveLength(3);
    expect(m.entries.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        'config/app/app.yml',
        'config/app/conf.d/extra.yml',
        'data/shared/blobs/one.bin',
        'database/app.dump',
      ]),
    );
    expect(m.entries.map((e) => e.path)).not.toContain('config/app/app.log');
    expect(m.entries.find((e) => e.path === 'config/app')).toMatchObject({ type: 'dir', mode: 0o750 });
    expect(configOnly.roots.map((r) => [r.prefix, r.target])).toEqual([
      ['config/app', dirs.app],
      ['config/other', dirs.other],
    ]);
    expect(configOnly.verify.ok).toBe(true);
    expect(afterConfig.app).toEqual(expected.app);
    expect(afterConfig.other).toEqual(expected.other);
    expect(afterConfig.shared['index.json']).not.toEqual(expected.shared['index.json']); // data was not selected
    expect(everything.roots.map((r) => r.prefix)).toEqual(['config/app', 'config/other', 'data/shared']);
    expect(await snapshotTree(dirs.shared)).toEqual(expected.shared);
    expect((await stat(dirs.app)).mode & 0o7777).toBe(0o750);
  });

  it('restores one part into another directory, reading only the packs that part needs', async () => {
    const store = newStore();
    const { dirs, sources } = await buildHost('host2');
    const sut = await BackupEngine.open(store);
    const dataOnly = await sut.backup({ sources: [sources[2]] });
    const full = await sut.backup({ sources });
    const dataPack = dataOnly.manifest.packs[0];
    const bytes = await store.get(`packs/${dataPack}`);
    bytes[bytes.length >> 1] ^= 0xff;
    await store.put(`packs/${dataPack}`, bytes);
    const configTarget = join(work, 'restore-config-app');
    const dataTarget = join(work, 'restore-data');
    await mkdir(dataTarget);
    await writeFile(join(dataTarget, 'keep.txt'), 'old state');

    const config = await sut.restore(full.id, configTarget, { select: 'config/app' });
    const data = await sut.restore(full.id, dataTarget, { select: 'data' }).catch((err: unknown) => err);

    expect(full.manifest.packs).toContain(dataPack); // the full backup reuses the data pack
    expect(config.select).toBe('config/app');
    expect(config.verify).toMatchObject({ ok: true, filesChecked: 2 });
    expect(config.verify.packsChecked).toBe(1);
    const expected = await snapshotTree(dirs.app);
    delete expected['app.log'];
    expect(await snapshotTree(configTarget)).toEqual(expected);
    expect((await stat(configTarget)).mode & 0o7777).toBe(0o750);
    expect(data).toBeInstanceOf(BackupCorruptedError);
    expect((data as BackupCorruptedError).corruptedPacks).toEqual([dataPack]);
    expect(await readFile(join(dataTarget, 'keep.txt'), 'utf8')).toBe('old state');
  });

  it('says to use --to for a backup without roots, and lists the roots for an unknown selection', async () => {
    const { host, sources } = await buildHost('host3');
    const sut = await BackupEngine.open(newStore());
    const single = await sut.backup({ source: host });
    const multi = await sut.backup({ sources });

    const noRoots = await sut.restoreRoots(single.id).catch((err: unknown) => err);
    const unknown = await sut.restoreRoots(multi.id, { select: 'logs' }).catch((err: unknown) => err);

    expect(noRoots).toMatchObject({
      code: BackupErrorCode.InvalidRequest,
      message: expect.stringMatching(/does not record where its directories came from .*--to <dir>/),
    });
    expect(unknown).toMatchObject({
      code: BackupErrorCode.NotFound,
      message: expect.stringMatching(
        /has no root under "logs"; its roots are config\/app, config\/other, data\/shared/,
      ),
    });
  });

  it('fails clearly, and records no backup, for a missing root directory or a bad prefix', async () => {
    const sut = await BackupEngine.open(newStore());
    const missing = join(work, 'not-there');

    const noDir = await sut
      .backup({
        id: 'backup_missing_root',
        sources: [{ prefix: 'config/gone', dir: missing, setting: 'BACKUP_CONFIG_PATHS' }],
      })
      .catch((err: unknown) => err);
    const badPrefix = await sut
      .backup({ id: 'backup_bad_prefix', sources: [{ prefix: '../escape', dir: work }] })
      .catch((err: unknown) => err);

    expect(noDir).toMatchObject({
      code: BackupErrorCode.SourceMissing,
      message: `backup root "config/gone": directory ${missing} does not exist. Create it, or remove it from the BACKUP_CONFIG_PATHS setting.`,
    });
    expect(badPrefix).toMatchObject({
      code: BackupErrorCode.InvalidRequest,
      message: expect.stringMatching(/backup root prefix "\.\.\/escape" is invalid/),
    });
    expect(await sut.list()).toEqual([]);
  });
});
