import { BackupOperationCommandV1, BackupSubjects } from '@lockstep/contracts';
import {
  BackupEntity,
  BackupOperationEntity,
  createDataSource,
  OutboxMessageEntity,
  runMigrations,
} from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { ApiModule } from './api.module';
import { BackupsRepository } from './backups/backups.repository';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

const DAY = 86_400_000;
const OP = '9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5';

/** `GET/POST /v1/backups…` and `/v1/backup-operations` through HTTP, against a real database (no relay runs: rows stay in the outbox). */
describe(`${ApiModule.name} backup routes`, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let app: ApiTestApp;
  let repo: BackupsRepository;
  const now = Date.now();
  const ago = (days: number) => new Date(now - days * DAY);

  const backup = (id: string, over: Partial<BackupEntity> = {}) => ({
    id,
    type: 'full',
    trigger: 'manual',
    status: 'completed',
    component: 'demo',
    componentVersion: '1.0.0',
    nodeId: null,
    createdAt: ago(1),
    completedAt: ago(1),
    sizeBytes: '1000',
    storedBytes: '400',
    packs: 2,
    files: 10,
    durationMs: 1500,
    ...over,
  });
  const call = (method: string, path: string, body?: unknown) => app.call(method, path, body);
  const ids = (res: { body: { items: Array<{ id: string }> } }) => res.body.items.map((b) => b.id);

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    await ds.getRepository(BackupEntity).insert([
      backup('nightly-a', {
        createdAt: ago(40),
        sizeBytes: '5000',
        status: 'verified',
        trigger: 'schedule',
        verifiedAt: ago(39),
      }),
      backup('node1-pre', {
        type: 'data_only',
        trigger: 'pre-update',
        nodeId: 'node-1',
        createdAt: ago(3),
        sizeBytes: '200',
      }),
      backup('config-b', { type: 'config', createdAt: ago(10), sizeBytes: '50' }),
      backup('db-c', { type: 'database', createdAt: ago(100), sizeBytes: '9000' }),
      backup('broken', {
        status: 'corrupted',
        createdAt: ago(2),
        corruptedPacks: ['p-aa11', 'p-bb22'],
        error: 'verify: 2 damaged packs',
      }),
      backup('half', { status: 'creating', createdAt: ago(0), completedAt: null }),
      backup('gone', { status: 'pruned', createdAt: ago(200) }),
    ]);
    repo = new BackupsRepository(ds);
    app = await startApiTestApp({ send: jest.fn(), repositories: [[BackupsRepository, repo]] });
  });
  afterAll(async () => {
    await app.close();
    await ds.destroy();
    await db.drop();
  });

  describe('GET /v1/backups', () => {
    it('shows a token narrowed to components only their backups', async () => {
      const other = await app.issueToken({ name: 'other', role: 'viewer', components: ['other'] });
      const demo = await app.issueToken({ name: 'demo', role: 'viewer', components: ['demo'] });
      const as = (token: string) =>
        app.send('GET', '/v1/backups?since=all', { headers: { authorization: `Bearer ${token}` } });

      const [none, all] = [await as(other), await as(demo)];

      expect(none.body.items).toEqual([]);
      expect(all.body.items).toHaveLength(7);
    });

    it('lists the newest 20 by default as catalogue records', async () => {
      const res = await call('GET', '/v1/backups');

      expect(res.status).toBe(200);
      expect(ids(res)).toEqual(['half', 'broken', 'node1-pre', 'config-b', 'nightly-a', 'db-c', 'gone']);
      expect(res.body.items[2]).toEqual({
        id: 'node1-pre',
        type: 'data_only',
        trigger: 'pre-update',
        status: 'completed',
        component: 'demo',
        componentVersion: '1.0.0',
        nodeId: 'node-1',
        rolloutId: null,
        description: '',
        encrypted: false,
        compressed: true,
        sizeBytes: 200,
        storedBytes: 400,
        uploadedBytes: 0,
        files: 10,
        packs: 2,
        durationMs: 1500,
        error: null,
        corruptedPacks: [],
        createdAt: ago(3).toISOString(),
        completedAt: ago(1).toISOString(),
        verifiedAt: null,
      });
    });

    it.each([
      ['type=config', ['config-b']],
      ['status=corrupted', ['broken']],
      ['node=node-1', ['node1-pre']],
      ['since=7d', ['half', 'broken', 'node1-pre']],
      ['since=30d&type=full', ['half', 'broken']],
      ['since=90d&sort=size', ['nightly-a', 'half', 'broken', 'node1-pre', 'config-b']],
      ['sort=name&limit=3', ['broken', 'config-b', 'db-c']],
      ['sort=type&since=90d', ['config-b', 'node1-pre', 'half', 'broken', 'nightly-a']],
      ['limit=1', ['half']],
    ])('?%s', async (qs, expected) => {
      const res = await call('GET', `/v1/backups?${qs}`);

      expect(res.status).toBe(200);
      expect(ids(res)).toEqual(expected);
    });

    it.each([
      ['since=1y', 'since must be one of 7d, 30d, 90d, all'],
      ['sort=age', 'sort must be one of date, size, name, type'],
      ['type=logs', 'type must be one of full, database, config, data_only'],
      ['status=ok', 'status must be one of creating, completed, failed, verified, corrupted, pruned'],
      ['limit=51', 'limit must be a whole number from 1 to 50'],
      ['limit=0', 'limit must be a whole number from 1 to 50'],
      ['newest=1', 'unknown field "newest"; allowed fields: type, status, node, since, sort, limit'],
    ])('answers 400 for %s, listing what is allowed', async (qs, message) => {
      const res = await call('GET', `/v1/backups?${qs}`);

      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', detail: expect.stringContaining(message) });
    });
  });

  describe('GET /v1/backups/:id', () => {
    it('answers the record with its latest operations, prunes that removed it included', async () => {
      await ds.getRepository(BackupOperationEntity).insert([
        {
          id: '00000000-0000-4000-8000-000000000001',
          kind: 'verify',
          backupId: 'config-b',
          state: 'succeeded',
          request: {},
          result: { ok: true, corruptedPacks: [], problems: [], packsChecked: 2 },
          requestedAt: ago(2),
        },
        {
          id: '00000000-0000-4000-8000-000000000002',
          kind: 'prune',
          backupId: null,
          state: 'succeeded',
          request: {},
          result: { dryRun: false, removedBackups: ['config-b'] },
          requestedAt: ago(1),
        },
        {
          id: '00000000-0000-4000-8000-000000000003',
          kind: 'prune',
          backupId: null,
          state: 'succeeded',
          request: {},
          result: { dryRun: false, removedBackups: ['other'] },
          requestedAt: ago(1),
        },
        {
          id: '00000000-0000-4000-8000-000000000004',
          kind: 'verify',
          backupId: 'nightly-a',
          state: 'queued',
          request: {},
          requestedAt: ago(0),
        },
      ]);

      const res = await call('GET', '/v1/backups/config-b');

      expect(res.status).toBe(200);
      expect(res.body.backup).toMatchObject({ id: 'config-b', type: 'config', sizeBytes: 50 });
      expect(res.body.operations.map((o: { id: string }) => o.id)).toEqual([
        '00000000-0000-4000-8000-000000000002',
        '00000000-0000-4000-8000-000000000001',
      ]);
      expect(res.body.operations[1]).toEqual({
        id: '00000000-0000-4000-8000-000000000001',
        kind: 'verify',
        backupId: 'config-b',
        state: 'succeeded',
        step: null,
        percent: 0,
        message: null,
        error: null,
        result: { ok: true, corruptedPacks: [], problems: [], packsChecked: 2 },
        requestedAt: ago(2).toISOString(),
        startedAt: null,
        finishedAt: null,
      });
    });

    it.each([
      ['an unknown id', 'nope', 404, /^backup nope is not in the catalogue; list backups with `lockstep backup list`/],
      ['a malformed id', '..hidden', 400, /invalid path: .*backup names are letters, digits/],
    ])('answers %s (%s) with %i', async (_name, id, status, message) => {
      const res = await call('GET', `/v1/backups/${id}`);

      expect(res.status).toBe(status);
      expect(res.body.detail).toMatch(message);
    });
  });

  describe('POST /v1/backups', () => {
    it('records the queued operation and its command in the outbox together and answers 202', async () => {
      const res = await call('POST', '/v1/backups', {
        type: 'config',
        name: 'before-upgrade',
        description: 'by hand',
        includeLogs: true,
      });

      expect(res.status).toBe(202);
      const op = res.body.operation;
      expect(op).toMatchObject({
        kind: 'create',
        backupId: 'before-upgrade',
        state: 'queued',
        percent: 0,
        result: null,
        startedAt: null,
      });
      const command = {
        kind: 'create',
        operationId: op.id,
        backupId: 'before-upgrade',
        type: 'config',
        description: 'by hand',
        includeLogs: true,
        compress: true,
        trigger: 'manual',
      };
      const [row] = await ds.getRepository(OutboxMessageEntity).findBy({ eventId: op.id });
      expect(row).toMatchObject({ subject: BackupSubjects.operation, event: command });
      expect(BackupOperationCommandV1.parse(row.event)).toEqual(command);
      expect(await ds.getRepository(BackupOperationEntity).findOneBy({ id: op.id })).toMatchObject({
        state: 'queued',
        kind: 'create',
        backupId: 'before-upgrade',
        request: command,
      });
      const [{ same }] = await ds.query(
        `SELECT (SELECT xmin FROM outbox WHERE event_id = $1) = (SELECT xmin FROM backup_operations WHERE id = $1::uuid) AS same`,
        [op.id],
      );
      expect(same).toBe(true);
    });

    it('names the backup backup_YYYYMMDD_HHMMSS (UTC) by default, type full, compressed', async () => {
      jest.spyOn(repo, 'now').mockReturnValueOnce(new Date('2026-03-04T05:06:07.890Z'));

      const res = await call('POST', '/v1/backups', {});

      expect(res.status).toBe(202);
      expect(res.body.operation.backupId).toBe('backup_20260304_050607');
      expect(
        (await ds.getRepository(BackupOperationEntity).findOneBy({ id: res.body.operation.id }))!.request,
      ).toMatchObject({ type: 'full', compress: true, includeLogs: false, description: '' });
    });

    it.each([
      ['in the catalogue', 'config-b', /^backup config-b already exists \(completed\); pick another name$/],
      [
        'used by a running create',
        'in-flight',
        /^operation 00000000-0000-4000-8000-0000000000aa is already creating a backup named in-flight \(running\); pick another name$/,
      ],
    ])('answers 409 for a name %s and records nothing', async (_name, name, message) => {
      await ds.getRepository(BackupOperationEntity).upsert(
        {
          id: '00000000-0000-4000-8000-0000000000aa',
          kind: 'create',
          backupId: 'in-flight',
          state: 'running',
          request: {},
        },
        ['id'],
      );
      const before = await ds.getRepository(OutboxMessageEntity).count();

      const res = await call('POST', '/v1/backups', { name });

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'BACKUP_NAME_TAKEN', detail: expect.stringMatching(message) });
      expect(await ds.getRepository(OutboxMessageEntity).count()).toBe(before);
    });

    it('lets exactly one of two concurrent creates of one name through', async () => {
      const res = await Promise.all([
        call('POST', '/v1/backups', { name: 'race' }),
        call('POST', '/v1/backups', { name: 'race' }),
      ]);

      expect(res.map((r) => r.status).sort()).toEqual([202, 409]);
      expect(await ds.getRepository(BackupOperationEntity).countBy({ backupId: 'race' })).toBe(1);
    });

    it.each([
      ['a bad type', { type: 'logs' }, /type: type must be one of full, database, config, data_only/],
      ['a bad name', { name: '../etc' }, /name: backup names are letters, digits/],
      [
        'an unknown field',
        { compression: false },
        /unknown field "compression"; allowed fields: type, name, description, includeLogs, compress/,
      ],
    ])('answers 400 for %s', async (_name, body, message) => {
      const res = await call('POST', '/v1/backups', body);

      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(message);
    });
  });

  describe('POST /v1/backups/:id/verify', () => {
    it.each(['nightly-a', 'broken'])('queues a verify of %s (202)', async (id) => {
      const res = await call('POST', `/v1/backups/${id}/verify`);

      expect(res.status).toBe(202);
      expect(res.body.operation).toMatchObject({ kind: 'verify', backupId: id, state: 'queued' });
      const [row] = await ds.getRepository(OutboxMessageEntity).findBy({ eventId: res.body.operation.id });
      expect(row.event).toEqual({ kind: 'verify', operationId: res.body.operation.id, backupId: id });
    });

    it.each([
      ['half', /^backup half is still being created; verify it once it is completed/],
      ['gone', /^backup gone was pruned by retention: its data is gone/],
    ])('answers 409 for %s', async (id, message) => {
      const res = await call('POST', `/v1/backups/${id}/verify`);

      expect(res).toMatchObject({
        status: 409,
        body: { code: 'BACKUP_INVALID_STATE', detail: expect.stringMatching(message) },
      });
    });

    it('answers 404 for an unknown backup', async () => {
      expect((await call('POST', '/v1/backups/nope/verify')).status).toBe(404);
    });
  });

  describe('POST /v1/backups/:id/restore', () => {
    it('queues a restore with confirm: true (databaseMode defaults to replace)', async () => {
      const res = await call('POST', '/v1/backups/nightly-a/restore', {
        what: 'config',
        to: '/srv/restore',
        keepSpecialBits: true,
        confirm: true,
      });

      expect(res.status).toBe(202);
      const [row] = await ds.getRepository(OutboxMessageEntity).findBy({ eventId: res.body.operation.id });
      expect(row.event).toEqual({
        kind: 'restore',
        operationId: res.body.operation.id,
        backupId: 'nightly-a',
        what: 'config',
        to: '/srv/restore',
        databaseMode: 'replace',
        keepSpecialBits: true,
      });
    });

    it.each([
      [
        { what: 'all' },
        /^restoring all from backup nightly-a overwrites the config and data files at their original places and the database in place \(databaseMode new restores into a new database instead\); add --confirm/,
      ],
      [
        { what: 'data', to: '/srv/node1' },
        /^restoring data from backup node1-pre creates the data files in \/srv\/node1 \(it must be empty or not exist: nothing there is replaced\); add --confirm \(confirm: true\)/,
      ],
      [
        { what: 'all', to: '/tmp/r', databaseMode: 'new', confirm: false },
        /^restoring all from backup nightly-a creates the config and data files in \/tmp\/r \(it must be empty or not exist: nothing there is replaced\) and a new database/,
      ],
    ])('answers 400 without confirm: true, saying what would be overwritten (%j)', async (body, message) => {
      const id = body.what === 'data' ? 'node1-pre' : 'nightly-a';
      const before = await ds.getRepository(OutboxMessageEntity).count();

      const res = await call('POST', `/v1/backups/${id}/restore`, body);

      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'CONFIRM_REQUIRED', detail: expect.stringMatching(message) });
      expect(await ds.getRepository(OutboxMessageEntity).count()).toBe(before);
    });

    it("answers 400 to putting a node backup's files back in place, naming the node and rollback --restore-data, and queues nothing", async () => {
      const before = await ds.getRepository(OutboxMessageEntity).count();

      const res = await call('POST', '/v1/backups/node1-pre/restore', { what: 'data', confirm: true });

      expect(res.status).toBe(400);
      expect(res.body.code).toBe('BACKUP_NODE_LOCAL');
      expect(res.body.detail).toMatch(
        /^backup node1-pre was taken on node node-1 by its agent: .* `lockstep rollback .* --restore-data`, or unpack them elsewhere with --to DIR/,
      );
      expect(await ds.getRepository(OutboxMessageEntity).count()).toBe(before);
    });

    it.each([
      [
        'broken',
        'corrupted',
        /^backup broken is corrupted: verify found damaged packs \(p-aa11, p-bb22\), .*restore another backup/,
      ],
      ['half', 'creating', /^backup half is still being created; restore it once it is completed/],
      ['gone', 'pruned', /^backup gone was pruned/],
    ])('answers 409 for %s (%s) even with confirm', async (id, _status, message) => {
      const res = await call('POST', `/v1/backups/${id}/restore`, { what: 'all', confirm: true });

      expect(res).toMatchObject({
        status: 409,
        body: { code: 'BACKUP_INVALID_STATE', detail: expect.stringMatching(message) },
      });
    });

    it.each([
      [
        'a part the backup does not hold',
        'config-b',
        { what: 'database', confirm: true },
        /^backup config-b is a config backup and holds no database; it holds config: restore with what config or all/,
      ],
      [
        'a relative target',
        'nightly-a',
        { what: 'all', to: 'restore', confirm: true },
        /to: must be an absolute directory/,
      ],
      ['no part', 'nightly-a', { confirm: true }, /what: what must be one of all, database, config, data/],
    ])('answers 400 for %s', async (_name, id, body, message) => {
      const res = await call('POST', `/v1/backups/${id}/restore`, body);

      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(message);
    });

    it('answers 404 for an unknown backup', async () => {
      const res = await call('POST', '/v1/backups/nope/restore', { what: 'all', confirm: true });

      expect(res.status).toBe(404);
      expect(res.body.detail).toMatch(/lockstep backup list/);
    });
  });

  describe('POST /v1/backups/prune', () => {
    it.each([
      [{ dryRun: true }, true],
      [{}, false],
    ])('queues retention (%j → dryRun %s)', async (body, dryRun) => {
      const res = await call('POST', '/v1/backups/prune', body);

      expect(res.status).toBe(202);
      expect(res.body.operation).toMatchObject({ kind: 'prune', backupId: null, state: 'queued' });
      const [row] = await ds.getRepository(OutboxMessageEntity).findBy({ eventId: res.body.operation.id });
      expect(row.event).toEqual({ kind: 'prune', operationId: res.body.operation.id, dryRun });
    });
  });

  describe('GET /v1/backup-operations/:id', () => {
    it('answers the operation with its progress and result', async () => {
      await ds.getRepository(BackupOperationEntity).insert({
        id: OP,
        kind: 'restore',
        backupId: 'nightly-a',
        state: 'running',
        request: {},
        step: 'restoring config',
        percent: 42,
        message: '3/7 files',
        requestedAt: ago(0),
        startedAt: ago(0),
      });

      const res = await call('GET', `/v1/backup-operations/${OP}`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: OP,
        kind: 'restore',
        backupId: 'nightly-a',
        state: 'running',
        step: 'restoring config',
        percent: 42,
        message: '3/7 files',
        error: null,
        result: null,
        requestedAt: ago(0).toISOString(),
        startedAt: ago(0).toISOString(),
        finishedAt: null,
      });
    });

    it.each([
      [
        'an unknown id',
        '11111111-2222-4333-8444-555555555555',
        404,
        /backup operation 11111111-2222-4333-8444-555555555555 does not exist/,
      ],
      ['a malformed id', 'latest', 400, /expected a backup operation id/],
    ])('answers %s (%s) with %i', async (_name, id, status, message) => {
      const res = await call('GET', `/v1/backup-operations/${id}`);

      expect(res.status).toBe(status);
      expect(res.body.detail).toMatch(message);
    });
  });
});
