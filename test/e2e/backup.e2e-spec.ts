import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinioObjectStore } from '@lockstep/storage';
import type { ApiErrorBody } from '@lockstep/contracts';
import {
  createTestDatabase,
  startS3Server,
  startService,
  uniqueName,
  waitFor,
  type S3ServerHandle,
  type ServiceProcess,
  type TestDatabase,
} from '@lockstep/testing';
import { Client } from 'pg';
import { createTestDeployment, s3Env, type TestDeployment } from '../support/control-plane';

interface Operation {
  id: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  step: string | null;
  percent: number;
  error: string | null;
  result: Record<string, unknown> | null;
}
interface Backup {
  id: string;
  status: string;
  uploadedBytes: number;
  packs: number;
  corruptedPacks: string[];
  error: string | null;
}

/** Checksums of every pgbench table: the rows, in a stable order. */
async function tableChecksums(url: string): Promise<Record<string, string>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const out: Record<string, string> = {};
    for (const t of ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history']) {
      const r = await c.query(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS sum FROM ${t} x`,
      );
      out[t] = `${r.rows[0].n}:${r.rows[0].sum}`;
    }
    return out;
  } finally {
    await c.end();
  }
}

async function treeState(root: string, files: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files) {
    const p = join(root, f);
    out[f] =
      `${((await stat(p)).mode & 0o7777).toString(8)}:${(await readFile(p)).toString('base64').slice(0, 64)}:${(await readFile(p)).length}`;
  }
  return out;
}

describe('backup service (processes, real Postgres, files and S3)', () => {
  let s3: S3ServerHandle;
  let dep: TestDeployment;
  let app: TestDatabase;
  let work: string;
  let bucket: string;
  const procs: ServiceProcess[] = [];
  let api: ServiceProcess;

  const start = async (name: string, env: Record<string, string> = {}) => {
    const p = await startService(name, { ...dep.envFor(name), ...s3Env(s3, uniqueName('artifacts')), ...env });
    procs.push(p);
    return p;
  };
  const http = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${api.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const request = async (path: string, body: unknown = {}): Promise<Operation> => {
    const res = await http<{ operation: Operation }>('POST', path, body);
    expect(res.status).toBe(202);
    return res.body.operation;
  };
  const finished = async (id: string, timeoutMs = 60_000): Promise<Operation> =>
    (await waitFor(
      async () => {
        const op = (await http<Operation>('GET', `/v1/backup-operations/${id}`)).body;
        return op.state === 'succeeded' || op.state === 'failed' ? op : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `operation ${id} to finish` },
    ))!;
  const backup = async (id: string) => (await http<{ backup: Backup }>('GET', `/v1/backups/${id}`)).body.backup;
  const manifestExists = async (id: string) =>
    Boolean(
      await new MinioObjectStore({
        endpoint: s3.endpoint,
        accessKey: s3.accessKey,
        secretKey: s3.secretKey,
        bucket,
      }).stat(`manifests/${id}.json`),
    );
  const backupEnv = (extra: Record<string, string> = {}) => ({
    BACKUP_BUCKET: bucket,
    BACKUP_CONFIG_PATHS: join(work, 'etc'),
    BACKUP_DATA_PATHS: join(work, 'data'),
    BACKUP_DATABASE_URLS: app.url,
    BACKUP_COMPONENT: 'shop',
    ...extra,
  });

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(() => s3.stop(true));
  beforeEach(async () => {
    dep = await createTestDeployment();
    app = await createTestDatabase('lockstep_app');
    bucket = uniqueName('bk');
    work = await mkdtemp(join(tmpdir(), 'lockstep-backup-e2e-'));
    await mkdir(join(work, 'etc'), { recursive: true });
    await mkdir(join(work, 'data', 'uploads'), { recursive: true });
    await writeFile(join(work, 'etc', 'app.json'), JSON.stringify({ port: 8080, mode: 'prod' }));
    await chmod(join(work, 'etc', 'app.json'), 0o640);
    await writeFile(join(work, 'data', 'uploads', 'photo.bin'), randomBytes(3 * 1024 * 1024));
    await writeFile(join(work, 'data', 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(work, 'data', 'run.sh'), 0o750);
    execFileSync('pgbench', ['-i', '-s', '1', '-q', app.url], { stdio: 'ignore' });
    api = await start('api');
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
    await dep.close();
    await app.drop();
    await rm(work, { recursive: true, force: true });
  });

  it('backs up files and a pgbench database, restores both exactly after they changed, and re-backs up unchanged data for under 1% of the bytes', async () => {
    await start('backup', backupEnv());
    await dep.pg.connect();
    await dep.pg.query(`INSERT INTO components (name, current_version, source_type) VALUES ('shop', '2.3.1', 'tuf')`); // as the checker registers it
    const files = ['etc/app.json', 'data/uploads/photo.bin', 'data/run.sh'];
    const before = { files: await treeState(work, files), rows: await tableChecksums(app.url) };

    const first = await finished(
      (await request('/v1/backups', { name: 'nightly_1', description: 'before the test changes' })).id,
    );
    const second = await finished((await request('/v1/backups', { name: 'nightly_2' })).id);
    await writeFile(join(work, 'etc', 'app.json'), JSON.stringify({ port: 9090 }));
    await chmod(join(work, 'data', 'run.sh'), 0o700);
    await writeFile(join(work, 'data', 'uploads', 'photo.bin'), randomBytes(1024));
    await writeFile(join(work, 'data', 'stray.txt'), 'not in the backup');
    const c = new Client({ connectionString: app.url });
    await c.connect();
    await c.query('UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid % 3 = 0');
    await c.query('DELETE FROM pgbench_tellers WHERE tid > 5');
    await c.end();
    const changed = await tableChecksums(app.url);
    const unconfirmed = await http<ApiErrorBody>('POST', '/v1/backups/nightly_1/restore', { what: 'all' });
    const restore = await finished(
      (await request('/v1/backups/nightly_1/restore', { what: 'all', databaseMode: 'replace', confirm: true })).id,
    );

    expect(first).toMatchObject({ state: 'succeeded' });
    expect(second).toMatchObject({ state: 'succeeded' });
    const [a, b] = [await backup('nightly_1'), await backup('nightly_2')];
    expect(a).toMatchObject({ status: 'completed', componentVersion: '2.3.1' });
    expect(b.uploadedBytes).toBeLessThan(a.uploadedBytes * 0.01);
    expect(changed).not.toEqual(before.rows);
    expect(unconfirmed.status).toBe(400);
    expect(restore).toMatchObject({ state: 'succeeded' });
    expect(await treeState(work, files)).toEqual(before.files);
    expect(existsSync(join(work, 'data', 'stray.txt'))).toBe(false);
    expect(await tableChecksums(app.url)).toEqual(before.rows);
  });

  it('leaves the files as they were when the database part of a full restore fails', async () => {
    await start('backup', backupEnv());
    await finished((await request('/v1/backups', { name: 'full_2' })).id);
    await writeFile(join(work, 'etc', 'app.json'), JSON.stringify({ port: 9090 }));
    const files = ['etc/app.json', 'data/uploads/photo.bin', 'data/run.sh'];
    const changedFiles = await treeState(work, files);
    const c = new Client({ connectionString: app.url });
    await c.connect();
    await c.query('UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid < 100');
    await c.query('CREATE VIEW rich AS SELECT aid FROM pgbench_accounts WHERE abalance > 0'); // pg_restore --clean cannot drop the table under it
    await c.end();
    const changedRows = await tableChecksums(app.url);

    const restore = await finished(
      (await request('/v1/backups/full_2/restore', { what: 'all', databaseMode: 'replace', confirm: true })).id,
    );

    expect(restore.state).toBe('failed');
    expect(restore.error).toMatch(/pg_restore/);
    expect(await treeState(work, files)).toEqual(changedFiles);
    expect(await tableChecksums(app.url)).toEqual(changedRows);
    expect((await readdir(work)).filter((n) => n.includes('.restore-'))).toEqual([]);
  });

  it('restores --to only into an empty or new directory, never deleting what is there; through a link; without setuid unless asked', async () => {
    await writeFile(join(work, 'data', 'tool'), '#!/bin/sh\n');
    await chmod(join(work, 'data', 'tool'), 0o4755);
    await start('backup', backupEnv());
    await finished((await request('/v1/backups', { name: 'files_1', type: 'data_only' })).id);
    const srv = join(work, 'srv');
    await mkdir(join(srv, 'data'), { recursive: true });
    await writeFile(join(srv, 'data', 'placed-before.txt'), 'mine\n');
    const srvBefore = await treeState(srv, ['data/placed-before.txt']);
    const real = join(work, 'mnt-restore');
    await mkdir(real);
    await symlink(real, join(work, 'restore-link'));
    const restoreTo = async (to: string, extra: Record<string, unknown> = {}) =>
      finished((await request('/v1/backups/files_1/restore', { what: 'data', to, confirm: true, ...extra })).id);

    const refused = await restoreTo(srv);
    const throughLink = await restoreTo(join(work, 'restore-link'));
    const keptBits = await restoreTo(join(work, 'with-bits'), { keepSpecialBits: true });

    expect(refused).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(new RegExp(`refusing to restore into ${srv}: it is not empty.*Nothing was changed`)),
    });
    expect(await readdir(srv)).toEqual(['data']);
    expect(await readdir(join(srv, 'data'))).toEqual(['placed-before.txt']);
    expect(await treeState(srv, ['data/placed-before.txt'])).toEqual(srvBefore);
    expect(throughLink).toMatchObject({ state: 'succeeded' });
    expect((await lstat(join(work, 'restore-link'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(real, 'data', 'data', 'run.sh'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect((await stat(join(real, 'data', 'data', 'tool'))).mode & 0o7777).toBe(0o755);
    expect(keptBits).toMatchObject({ state: 'succeeded' });
    expect((await stat(join(work, 'with-bits', 'data', 'data', 'tool'))).mode & 0o7777).toBe(0o4755);
  });

  it('reports a backup with an altered pack corrupted, naming the pack, refuses to restore it, and still verifies the others', async () => {
    await start('backup', backupEnv());
    await finished((await request('/v1/backups', { name: 'full_1' })).id);
    await writeFile(join(work, 'etc', 'app.json'), JSON.stringify({ port: 7070, other: 'x'.repeat(5000) }));
    await finished((await request('/v1/backups', { name: 'config_1', type: 'config' })).id);
    const store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket,
    });
    const manifest = async (id: string) =>
      JSON.parse((await store.get(`manifests/${id}.json`)).toString()) as { packs: string[] };
    const configPacks = new Set((await manifest('config_1')).packs);
    const victim = (await manifest('full_1')).packs.find((p) => !configPacks.has(p))!;
    const bytes = await store.get(`packs/${victim}`);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await store.put(`packs/${victim}`, bytes);

    const verify = await finished((await request('/v1/backups/full_1/verify')).id);
    const refused = await http<ApiErrorBody>('POST', '/v1/backups/full_1/restore', {
      what: 'all',
      confirm: true,
    });
    const other = await finished((await request('/v1/backups/config_1/verify')).id);

    expect(verify.state).toBe('failed');
    expect(verify.error).toContain(victim);
    expect(await backup('full_1')).toMatchObject({ status: 'corrupted', corruptedPacks: [victim] });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/corrupt/);
    expect(other).toMatchObject({ state: 'succeeded' });
    expect(await backup('config_1')).toMatchObject({ status: 'verified' });
  });

  it('takes the scheduled backup of the current slot once, however many replicas run, and prunes by retention after it', async () => {
    await start('backup', backupEnv({ BACKUP_KEEP_LAST: '1' })); // replicas share retention settings; this one schedules nothing
    await finished((await request('/v1/backups', { name: 'manual_old', type: 'config' })).id);
    const env = backupEnv({ BACKUP_SCHEDULE: '1h', BACKUP_SCHEDULE_TYPE: 'config', BACKUP_KEEP_LAST: '1' });
    await Promise.all([start('backup', env), start('backup', env)]);

    const scheduled = await waitFor(
      async () => {
        const { items } = (
          await http<{ items: Array<Backup & { trigger: string }> }>('GET', '/v1/backups?status=completed')
        ).body;
        return items.find((b) => b.trigger === 'schedule');
      },
      { what: 'a completed scheduled backup' },
    );
    const pruned = await waitFor(async () => ((await backup('manual_old')).status === 'pruned' ? true : undefined), {
      what: 'the older backup to be pruned',
    });
    const all = (await http<{ items: Array<{ id: string; trigger: string }> }>('GET', '/v1/backups')).body.items;

    expect(scheduled!.id).toMatch(/^backup_\d{8}_\d{2}0000$/);
    expect(all.filter((b) => b.trigger === 'schedule')).toHaveLength(1);
    expect(pruned).toBe(true);
    expect(await manifestExists('manual_old')).toBe(false);
    expect(await manifestExists(scheduled!.id)).toBe(true);
  });

  describe('interrupted in the middle of an upload', () => {
    // A stand-in for pg_dump: writes 20 MB (more than one pack), says so, then waits to be released.
    const slowDump = async () => {
      const script = join(work, 'slow-dump.sh');
      await writeFile(
        script,
        `#!/bin/sh\nhead -c 20000000 /dev/urandom\ntouch "${join(work, 'dumping')}"\nwhile [ ! -f "${join(work, 'release')}" ]; do sleep 0.05; done\nhead -c 100000 /dev/urandom\n`,
      );
      await chmod(script, 0o755);
      return { LOCKSTEP_PG_DUMP_BIN: script };
    };
    const midUpload = () =>
      waitFor(() => existsSync(join(work, 'dumping')), { timeoutMs: 30_000, what: 'the dump to be half-way' });
    const release = () => writeFile(join(work, 'release'), '');

    it('records the backup failed with no manifest when S3 stops, and a new backup succeeds once S3 is back', async () => {
      await start('backup', backupEnv(await slowDump()));
      const op = await request('/v1/backups', { name: 's3_down', type: 'database' });
      await midUpload();
      await s3.stop();
      await release();
      const failed = await finished(op.id);
      s3 = await startS3Server({ port: s3.port, directory: s3.directory });
      await rm(join(work, 'release'));
      await rm(join(work, 'dumping'));
      const again = request('/v1/backups', { name: 's3_back', type: 'database' });
      await midUpload();
      await release();
      const ok = await finished((await again).id);

      expect(failed.state).toBe('failed');
      expect(await backup('s3_down')).toMatchObject({ status: 'failed' });
      expect(await manifestExists('s3_down')).toBe(false);
      expect(ok.state).toBe('succeeded');
      expect(await backup('s3_back')).toMatchObject({ status: 'completed' });
      expect(await manifestExists('s3_back')).toBe(true);
    });

    it('leaves no completed entry when the worker is SIGKILLed mid-upload; the restarted worker records it failed', async () => {
      const env = backupEnv({ ...(await slowDump()), BACKUP_ACK_WAIT: '2s' });
      const worker = await start('backup', env);
      const op = await request('/v1/backups', { name: 'killed', type: 'database' });
      await midUpload();
      await worker.kill('SIGKILL');
      await release();
      const during = await backup('killed');
      await start('backup', env);
      const settled = await finished(op.id);

      expect(during.status).toBe('creating');
      expect(settled.state).toBe('failed');
      expect(settled.error).toMatch(/stopped/);
      expect(await backup('killed')).toMatchObject({ status: 'failed' });
      expect(await manifestExists('killed')).toBe(false);
    });
  });
});
