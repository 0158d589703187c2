import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { backupSchema, openBackupJobs, type BackupJobs } from '@lockstep/backup-jobs';
import { BackupName, Subjects, systemActor, type BackupRecordV1, type RolloutState } from '@lockstep/contracts';
import { NatsClient } from '@lockstep/messaging';
import {
  appendAudit,
  controlPlaneRestore,
  createDataSource,
  enqueueEvent,
  RolloutEntity,
  runMigrations,
  verifyAuditChain,
} from '@lockstep/persistence';
import {
  createTestDatabase,
  startS3Server,
  uniqueName,
  withPgClient,
  type S3ServerHandle,
  type TestDatabase,
} from '@lockstep/testing';
import type { DataSource } from 'typeorm';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];

/** Restoring Lockstep's own database (real Postgres, NATS lock, S3): the restored control plane never resumes the past. */
describe('restoring the control plane database', () => {
  let s3: S3ServerHandle;
  let db: TestDatabase;
  let ds: DataSource;
  let nats: NatsClient;
  let sut: BackupJobs;
  /** The same jobs, told the control plane's DATABASE_URL with another host name for the same server. */
  let spelledOtherwise: BackupJobs;
  const namespace = uniqueName('cp');
  const restoredCopies: string[] = [];

  const rollout = (state: RolloutState): Partial<RolloutEntity> => ({
    id: randomUUID(),
    component: 'shop',
    targetVersion: '1.2.0',
    kind: 'upgrade',
    artifact: { uri: 's3://a/shop-1.2.0.tgz', sha256: 'a'.repeat(64), length: 1 },
    selector: 'all',
    strategy: { maxParallel: 1 } as RolloutEntity['strategy'],
    state,
  });
  const states = async (url: string) =>
    withPgClient(url, async (c) => {
      const rows = (await c.query<{ state: string; reason: string | null }>('SELECT state, reason FROM rollouts')).rows;
      const outbox = (await c.query<{ n: string }>('SELECT count(*) AS n FROM outbox')).rows[0].n;
      return { rows, outbox: Number(outbox) };
    });

  beforeAll(async () => {
    s3 = await startS3Server();
    db = await createTestDatabase('lockstep_cp');
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    nats = new NatsClient({ service: 'spec', connection: { NATS_URL: servers }, namespace, handles: [] });
    await nats.connect();
    const settings = z.object(backupSchema).parse({ BACKUP_BUCKET: uniqueName('cpbk'), BACKUP_DATABASE_URLS: db.url });
    const open = (holder: string, databaseUrl: string) =>
      openBackupJobs({
        nc: nats.nc,
        namespace,
        holder,
        settings: { ...settings },
        s3: { endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey },
        record: async (_b: BackupRecordV1) => undefined,
        controlPlane: { databaseUrl, ...controlPlaneRestore(ds) },
      });
    sut = await open('spec', db.url);
    const otherSpelling = new URL(db.url);
    otherSpelling.hostname = otherSpelling.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
    spelledOtherwise = await open('spec-spelled-otherwise', otherSpelling.toString());
  });
  afterAll(async () => {
    await ds.destroy();
    await withPgClient(db.url.replace(/\/[^/]+$/, '/postgres'), async (c) => {
      for (const name of restoredCopies) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
    await db.drop();
    await nats.onApplicationShutdown();
    await s3.stop(true);
  });

  it('brings active rollouts back aborted with a reason and publishes none of the outbox again, in place and as a copy', async () => {
    const repo = ds.getRepository(RolloutEntity);
    // One active rollout at most: the database admits no more (OneActiveRollout migration).
    await repo.save([rollout('running'), rollout('succeeded')]);
    await ds.transaction((m) =>
      enqueueEvent(
        m,
        Subjects.CheckFailed,
        { component: 'shop', source: 'tuf', code: 'SOURCE_UNREACHABLE', reason: 'published long ago' },
        { source: 'spec' },
      ),
    );
    const before = await states(db.url);
    const backupId = BackupName.parse(uniqueName('cp_full'));
    await sut.create({
      id: backupId,
      type: 'database',
      trigger: 'manual',
      component: 'lockstep',
      componentVersion: null,
      nodeId: null,
      operationId: randomUUID(),
    });
    await ds.query(`UPDATE rollouts SET state = 'succeeded'`); // the present moves on after the backup

    const inPlace = await sut.restore(backupId, {
      what: 'database',
      databaseMode: 'replace',
      operationId: randomUUID(),
    });
    const copy = await sut.restore(backupId, { what: 'database', databaseMode: 'new', operationId: randomUUID() });
    restoredCopies.push(copy.databases[0].target);

    expect(before.outbox).toBeGreaterThan(0);
    expect(inPlace.databases).toEqual([expect.objectContaining({ mode: 'single-transaction' })]);
    for (const url of [db.url, db.url.replace(/\/[^/]+$/, `/${copy.databases[0].target}`)]) {
      const after = await states(url);
      expect(after.outbox).toBe(0);
      expect(after.rows.map((r) => r.state).sort()).toEqual(['aborted', 'succeeded']);
      for (const r of after.rows.filter((r) => r.state === 'aborted'))
        expect(r.reason).toMatch(new RegExp(`^aborted by the restore of backup ${backupId}: it was active`));
    }
  });

  it('leaves tokens and the audit trail as they are now, and appends one record of the restore to the live chain', async () => {
    const token = (id: string) =>
      ds.query(`INSERT INTO api_tokens (id, name, role, secret_hash) VALUES ($1, $1, 'owner', 'x')`, [id]);
    const audit = (action: string) => appendAudit(ds.manager, { actor: systemActor('spec'), action, target: 'spec' });
    const leaked = uniqueName('leaked');
    const later = uniqueName('later');
    await token(leaked);
    await audit('spec.before-backup');
    const backupId = BackupName.parse(uniqueName('cp_audit'));
    await sut.create({
      id: backupId,
      type: 'database',
      trigger: 'manual',
      component: 'lockstep',
      componentVersion: null,
      nodeId: null,
      operationId: randomUUID(),
    });
    await ds.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [leaked]); // T2: the leaked token is revoked
    await token(later);
    await audit('spec.after-backup.1');
    await audit('spec.after-backup.2');
    const [{ n: recordsBefore }] = await ds.query<Array<{ n: string }>>('SELECT count(*) AS n FROM audit_log');

    await sut.restore(backupId, { what: 'database', databaseMode: 'replace', operationId: randomUUID() });

    const tokens = await ds.query<Array<{ id: string; revoked_at: Date | null }>>(
      'SELECT id, revoked_at FROM api_tokens WHERE id = ANY($1)',
      [[leaked, later]],
    );
    const actions = (await ds.query<Array<{ action: string }>>('SELECT action FROM audit_log ORDER BY id')).map(
      (r) => r.action,
    );
    const [last] = await ds.query<Array<Record<string, unknown>>>('SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');
    expect(tokens).toEqual(
      expect.arrayContaining([
        { id: leaked, revoked_at: expect.any(Date) },
        { id: later, revoked_at: null },
      ]),
    );
    expect(tokens).toHaveLength(2);
    expect(actions).toHaveLength(Number(recordsBefore) + 1);
    expect(actions.slice(-3)).toEqual(['spec.after-backup.1', 'spec.after-backup.2', 'backup.restored-control-plane']);
    expect(await verifyAuditChain(ds)).toMatchObject({ ok: true, records: Number(recordsBefore) + 1 });
    expect(last).toMatchObject({
      actor_kind: 'system',
      actor_id: 'backup',
      target: backupId,
      params: expect.objectContaining({
        mode: 'replace',
        leftOut: ['public.api_tokens', 'public.audit_head', 'public.audit_log'],
      }),
    });
  });

  it('knows its own database however DATABASE_URL spells the host (localhost or 127.0.0.1)', async () => {
    await ds.getRepository(RolloutEntity).save(rollout('running'));
    const backupId = BackupName.parse(uniqueName('cp_spelled'));
    await spelledOtherwise.create({
      id: backupId,
      type: 'database',
      trigger: 'manual',
      component: 'lockstep',
      componentVersion: null,
      nodeId: null,
      operationId: randomUUID(),
    });

    await spelledOtherwise.restore(backupId, { what: 'database', databaseMode: 'replace', operationId: randomUUID() });

    const after = await states(db.url);
    expect(after.rows.map((r) => r.state)).not.toContain('running');
    expect(after.outbox).toBe(0);
  });
});
