import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MinioObjectStore } from '@lockstep/storage';
import {
  createTestDatabase,
  startS3Server,
  testPgAdminUrl,
  withPgClient,
  uniqueName,
  type S3ServerHandle,
  type TestDatabase,
} from '@lockstep/testing';
import { BackupEngine, DatabaseRestoreMethod, ExternalCommandError, pgDumpSource } from '@lockstep/backup-engine';

const run = promisify(execFile);

const withClient = withPgClient;

/** table -> md5 over all rows in order, for every table of the public schema. */
function checksums(url: string): Promise<Record<string, string>> {
  return withClient(url, async (c) => {
    const tables = (
      await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
    ).rows.map((r) => r.t);
    const out: Record<string, string> = {};
    for (const t of tables)
      out[t] =
        (await c.query<{ h: string | null }>(`SELECT md5(string_agg(t::text, ',' ORDER BY t)) AS h FROM "${t}" t`))
          .rows[0].h ?? 'empty';
    return out;
  });
}

/** pgbench's tables at scale 1, or two hand-made tables when pgbench is not installed. */
async function fill(url: string): Promise<void> {
  try {
    await run('pgbench', ['-i', '-s', '1', '-q', url]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await withClient(url, async (c) => {
      await c.query(`CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))`);
      await c.query(`INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, 100000) g`);
      await c.query(`CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88))`);
      await c.query(`INSERT INTO pgbench_branches VALUES (1, 0, '')`);
    });
  }
}

describe(`${BackupEngine.name} databases`, () => {
  let s3: S3ServerHandle;
  const dbs: TestDatabase[] = [];
  const extraDbs: string[] = [];
  const newStore = () =>
    new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('bkdb'),
    });

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    for (const d of dbs) await d.drop();
    await withClient(testPgAdminUrl(), async (c) => {
      for (const name of extraDbs) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
    await s3.stop(true);
  });

  it('restores a pgbench database into a new database and into the original in one transaction', async () => {
    const db = await createTestDatabase('lockstep_bk');
    dbs.push(db);
    await fill(db.url);
    const expected = await checksums(db.url);
    const sut = await BackupEngine.open(newStore());

    const backup = await sut.backup({ streams: [pgDumpSource({ url: db.url })], labels: { type: 'database' } });
    await withClient(db.url, async (c) => {
      await c.query(`UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid % 10 = 0`);
      await c.query(`DELETE FROM pgbench_branches`);
      await c.query(`CREATE TABLE added_later (x int)`);
    });
    const changed = await checksums(db.url);
    const newName = `${db.name}_restored`;
    extraDbs.push(newName);
    const newUrl = new URL(db.url);
    newUrl.pathname = `/${newName}`;
    const intoNew = await sut.restoreDatabase(backup.id, {
      mode: DatabaseRestoreMethod.NewDatabase,
      targetUrl: newUrl.toString(),
    });
    const intoOriginal = await sut.restoreDatabase(backup.id, {
      database: db.name,
      mode: DatabaseRestoreMethod.SingleTransaction,
      targetUrl: db.url,
    });

    const entry = backup.manifest.entries.find((e) => e.type === 'database');
    expect(entry).toMatchObject({
      type: 'database',
      path: `database/${db.name}.dump`,
      database: db.name,
      format: 'pg-custom',
    });
    expect(entry && entry.type === 'database' && entry.size).toBeGreaterThan(1000);
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['pgbench_accounts', 'pgbench_branches']));
    expect(changed).not.toEqual(expected);
    expect(intoNew.verify.ok).toBe(true);
    expect(intoNew.target).toBe(newName);
    expect(await checksums(newUrl.toString())).toEqual(expected);
    expect(intoOriginal.mode).toBe('single-transaction');
    // tables that did not exist at backup time are left alone by --clean; every backed-up table matches
    const after = await checksums(db.url);
    for (const [table, sum] of Object.entries(expected)) expect(after[table]).toBe(sum);
  });

  it('uploads only the chunks around a changed row when the database is backed up again', async () => {
    const db = await createTestDatabase('lockstep_bkdedup');
    dbs.push(db);
    // ~30 MB of text that does not compress to nothing, so the dump spans dozens of chunks
    await withClient(db.url, async (c) => {
      await c.query(`CREATE TABLE events (id int PRIMARY KEY, body text)`);
      await c.query(
        `INSERT INTO events SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) FROM generate_series(1, 300000) g`,
      );
    });
    const sut = await BackupEngine.open(newStore());
    const first = await sut.backup({ streams: [pgDumpSource({ url: db.url })] });
    await withClient(db.url, (c) => c.query(`UPDATE events SET body = 'changed' WHERE id = 150000`));

    const second = await sut.backup({ streams: [pgDumpSource({ url: db.url })] });

    const chunks = second.manifest.entries.flatMap((e) => (e.type === 'database' ? e.chunks : []));
    expect(chunks.length).toBeGreaterThan(10);
    // the row leaves its place in the middle and reappears at the end of the table: a few chunks change, not the rest
    expect(second.stats.newChunks).toBeLessThanOrEqual(5);
    expect(second.stats.bytesUploaded).toBeLessThan(first.stats.bytesUploaded / 4);
  });

  it('rolls a failed single-transaction restore back entirely and says so, naming pg_restore', async () => {
    const db = await createTestDatabase('lockstep_bk');
    dbs.push(db);
    await fill(db.url);
    const sut = await BackupEngine.open(newStore());
    const backup = await sut.backup({ streams: [pgDumpSource({ url: db.url })] });
    await withClient(db.url, async (c) => {
      await c.query(`UPDATE pgbench_accounts SET abalance = 1 WHERE aid < 100`);
      // a view the dump does not know makes --clean's DROP TABLE fail halfway through
      await c.query(`CREATE VIEW blocks_drop AS SELECT aid FROM pgbench_accounts`);
    });
    const changed = await checksums(db.url);

    const attempt = sut.restoreDatabase(backup.id, {
      mode: DatabaseRestoreMethod.SingleTransaction,
      targetUrl: db.url,
    });

    await expect(attempt).rejects.toThrow(
      /^pg_restore failed with exit code 1: .*depend.*Nothing was changed: the transaction was rolled back/s,
    );
    expect(await checksums(db.url)).toEqual(changed);
  });

  it('runs finalSql in the restore transaction: applied with it, and a failing one leaves the database as it was', async () => {
    const db = await createTestDatabase('lockstep_bkfinal');
    dbs.push(db);
    await withClient(db.url, async (c) => {
      await c.query(`CREATE TABLE jobs (id int PRIMARY KEY, state text)`);
      await c.query(`INSERT INTO jobs VALUES (1, 'running'), (2, 'done')`);
    });
    const sut = await BackupEngine.open(newStore());
    const backup = await sut.backup({ streams: [pgDumpSource({ url: db.url })] });
    await withClient(db.url, (c) => c.query(`INSERT INTO jobs VALUES (3, 'later')`));
    const rows = () =>
      withClient(db.url, async (c) => (await c.query(`SELECT id, state FROM jobs ORDER BY id`)).rows as unknown[]);
    const replace = { mode: DatabaseRestoreMethod.SingleTransaction, targetUrl: db.url };

    const failed = sut.restoreDatabase(backup.id, { ...replace, finalSql: `UPDATE public.jobs SET state = 1/0;` });
    await expect(failed).rejects.toThrow(/^psql failed with exit code 3: .*division by zero.*Nothing was changed/s);
    const afterFailure = await rows();
    await sut.restoreDatabase(backup.id, {
      ...replace,
      finalSql: `UPDATE public.jobs SET state = 'aborted' WHERE state = 'running';`,
    });

    expect(afterFailure).toEqual([
      { id: 1, state: 'running' },
      { id: 2, state: 'done' },
      { id: 3, state: 'later' },
    ]);
    expect(await rows()).toEqual([
      { id: 1, state: 'aborted' },
      { id: 2, state: 'done' },
    ]);
  });

  it.each([
    ['without finalSql', undefined],
    ['with finalSql', `UPDATE public.jobs SET state = 'aborted' WHERE state = 'running';`],
  ])(
    'leaves keepTables (with their sequence, index and trigger function) as they are and restores the rest, %s',
    async (_label, finalSql) => {
      const db = await createTestDatabase('lockstep_bkkeep');
      dbs.push(db);
      await withClient(db.url, async (c) => {
        await c.query(`CREATE TABLE jobs (id int PRIMARY KEY, state text)`);
        await c.query(`INSERT INTO jobs VALUES (1, 'running')`);
        await c.query(`CREATE TABLE trail (id bigserial PRIMARY KEY, what text NOT NULL)`);
        await c.query(`CREATE INDEX ix_trail_what ON trail (what)`);
        await c.query(`CREATE FUNCTION trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'append-only'; END $$`);
        await c.query(`CREATE TRIGGER trail_append_only BEFORE UPDATE OR DELETE ON trail
          FOR EACH ROW EXECUTE FUNCTION trail_append_only()`);
        await c.query(`INSERT INTO trail (what) VALUES ('before')`);
      });
      const sut = await BackupEngine.open(newStore());
      const backup = await sut.backup({ streams: [pgDumpSource({ url: db.url })] });
      await withClient(db.url, async (c) => {
        await c.query(`INSERT INTO jobs VALUES (2, 'later')`);
        await c.query(`INSERT INTO trail (what) VALUES ('after')`);
      });
      const query = (sql: string) => withClient(db.url, async (c) => (await c.query(sql)).rows as unknown[]);

      const result = await sut.restoreDatabase(backup.id, {
        mode: DatabaseRestoreMethod.SingleTransaction,
        targetUrl: db.url,
        keepTables: ['public.trail'],
        finalSql,
      });

      expect(result.leftOut).toEqual(['public.trail']);
      expect(await query(`SELECT id, state FROM jobs ORDER BY id`)).toEqual([
        { id: 1, state: finalSql ? 'aborted' : 'running' },
      ]);
      expect(await query(`SELECT id, what FROM trail ORDER BY id`)).toEqual([
        { id: '1', what: 'before' },
        { id: '2', what: 'after' },
      ]);
      await withClient(db.url, async (c) => {
        await expect(c.query(`DELETE FROM trail`)).rejects.toThrow(/append-only/);
        await c.query(`INSERT INTO trail (what) VALUES ('next')`);
      });
      expect(await query(`SELECT id FROM trail WHERE what = 'next'`)).toEqual([{ id: '3' }]);
    },
  );

  it('refuses to keep a table the dump does not hold, before changing anything', async () => {
    const db = await createTestDatabase('lockstep_bkkeepold');
    dbs.push(db);
    await withClient(db.url, (c) => c.query(`CREATE TABLE jobs (id int PRIMARY KEY)`));
    const sut = await BackupEngine.open(newStore());
    const backup = await sut.backup({ streams: [pgDumpSource({ url: db.url })] });
    await withClient(db.url, async (c) => {
      await c.query(`CREATE TABLE trail (id int PRIMARY KEY)`);
      await c.query(`INSERT INTO jobs VALUES (1)`);
    });

    const attempt = sut.restoreDatabase(backup.id, {
      mode: DatabaseRestoreMethod.SingleTransaction,
      targetUrl: db.url,
      keepTables: ['public.trail'],
    });

    await expect(attempt).rejects.toMatchObject({
      code: 'BACKUP_RESTORE_KEPT_TABLE_MISSING',
      message: expect.stringMatching(/taken before public\.trail existed.*Nothing was changed.*--database-mode new/s),
    });
    expect(await withClient(db.url, async (c) => (await c.query(`SELECT id FROM jobs`)).rows)).toEqual([{ id: 1 }]);
  });

  it('fails the backup with an error naming pg_dump and writes no manifest when pg_dump fails', async () => {
    const sut = await BackupEngine.open(newStore());
    const badUrl = new URL(testPgAdminUrl());
    badUrl.pathname = `/${uniqueName('lockstep_missing_')}`;
    const id = uniqueName('bk_fail_');

    const attempt = sut.backup({ id, streams: [pgDumpSource({ url: badUrl.toString() })] });

    await expect(attempt).rejects.toBeInstanceOf(ExternalCommandError);
    await expect(attempt).rejects.toThrow(/pg_dump failed with exit code 1: .*does not exist/s);
    expect(await sut.list()).not.toContain(id);
  });

  it('refuses to restore into a new database that already exists, naming createdb', async () => {
    const db = await createTestDatabase('lockstep_bk');
    dbs.push(db);
    await fill(db.url);
    const sut = await BackupEngine.open(newStore());
    const backup = await sut.backup({ streams: [pgDumpSource({ url: db.url })] });

    const attempt = sut.restoreDatabase(backup.id, { mode: DatabaseRestoreMethod.NewDatabase, targetUrl: db.url });

    await expect(attempt).rejects.toThrow(/createdb failed .*already exists.*choose a name that does not exist yet/s);
  });
});
