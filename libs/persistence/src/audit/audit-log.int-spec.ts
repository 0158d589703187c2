import { createTestDatabase, withPgClient, type TestDatabase } from '@lockstep/testing';
import { systemActor, type AuditActor } from '@lockstep/contracts';
import {
  allMigrations,
  appendAudit,
  auditDeadLetters,
  AuditLogEntity,
  createDataSource,
  runMigrations,
  verifyAuditChain,
} from '@lockstep/persistence';
import type { DataSource } from 'typeorm';

const alice: AuditActor = {
  kind: 'token',
  id: 'tok_1',
  name: 'alice',
  role: 'owner',
  components: ['web'],
  source: '127.0.0.1',
};

/** Changes the trail as an attacker with database rights would: with the append-only triggers off. */
const tamper = (url: string, sql: string): Promise<unknown> =>
  withPgClient(url, async (c) => {
    await c.query(`SET session_replication_role = replica`);
    await c.query(sql);
  });

describe('audit trail', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeEach(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
  });
  afterEach(async () => {
    await ds.destroy();
    await db.drop();
  });

  const append = (n: number, actor: AuditActor = alice) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        ds.transaction((m) => appendAudit(m, { actor, action: 'rollout.create', target: `r-${i}`, params: { i } })),
      ),
    );

  it('chains records appended by concurrent transactions without gaps, and verifies them', async () => {
    await append(12);

    const rows = await ds.getRepository(AuditLogEntity).find({ order: { id: 'ASC' } });
    const verdict = await verifyAuditChain(ds);

    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    expect(rows.slice(1).map((r) => r.prevHash)).toEqual(rows.slice(0, -1).map((r) => r.hash));
    expect(verdict).toEqual({ ok: true, records: 12, headId: '12', headHash: rows[11].hash });
  });

  it('leaves no trace of a transaction that rolled back, so the chain has no false gap', async () => {
    await append(1);
    await ds
      .transaction(async (m) => {
        await appendAudit(m, { actor: alice, action: 'rollout.create', target: 'r-x' });
        throw new Error('the change failed');
      })
      .catch(() => undefined);
    await append(1);

    expect(await verifyAuditChain(ds)).toMatchObject({ ok: true, records: 2 });
  });

  it('removes secrets from the parameters and records the token and its scope', async () => {
    const [row] = await Promise.all([
      appendAudit(ds.manager, {
        actor: alice,
        action: 'subscription.create',
        target: 'sub-1',
        params: {
          secret: 'whsec_c2VjcmV0c2VjcmV0',
          nested: { secrets: ['a'], password: 'p', url: 'https://hooks.slack.com/services/T0/B0/XYZ' },
          note: 'see https://discord.com/api/webhooks/123/abcDEF',
          fencingToken: 42,
        },
      }),
    ]);

    const stored = JSON.stringify(await ds.getRepository(AuditLogEntity).findOneByOrFail({ id: row.id }));
    expect(stored).not.toMatch(/c2VjcmV0|XYZ|abcDEF|"p"/);
    expect(row.params).toMatchObject({
      secret: '[REDACTED]',
      nested: { secrets: '[REDACTED]', password: '[REDACTED]', url: 'https://hooks.slack.com/[REDACTED]' },
      fencingToken: 42,
      tokenComponents: ['web'],
    });
    expect(row).toMatchObject({ actorKind: 'token', actorId: 'tok_1', actorName: 'alice', role: 'owner' });
  });

  it('refuses UPDATE, DELETE and TRUNCATE of records, and moving the head other than forward by one', async () => {
    await append(2);

    const refused = (sql: string) =>
      withPgClient(db.url, (c) => c.query(sql)).then(
        () => 'done',
        (e: Error) => e.message,
      );

    expect(await refused(`UPDATE audit_log SET target = 'x' WHERE id = 1`)).toMatch(/append-only/);
    expect(await refused(`DELETE FROM audit_log WHERE id = 2`)).toMatch(/append-only/);
    expect(await refused(`TRUNCATE audit_log`)).toMatch(/append-only/);
    expect(await refused(`UPDATE audit_head SET last_id = 1`)).toMatch(/only moves forward/);
    expect(await verifyAuditChain(ds)).toMatchObject({ ok: true, records: 2 });
  });

  it.each([
    ['a field is edited', `UPDATE audit_log SET actor_name = 'mallory' WHERE id = 3`, '3', 'altered'],
    [
      'a record is edited and rehashed',
      `UPDATE audit_log SET target = 'r-x', hash = repeat('a', 64) WHERE id = 3`,
      '3',
      'altered',
    ],
    ['a prev_hash is edited', `UPDATE audit_log SET prev_hash = repeat('b', 64) WHERE id = 4`, '4', 'altered'],
    ['a record is deleted', `DELETE FROM audit_log WHERE id = 3`, '3', 'removed'],
    ['the first record is deleted', `DELETE FROM audit_log WHERE id = 1`, '1', 'removed'],
    ['the newest record is deleted', `DELETE FROM audit_log WHERE id = 5`, '5', 'removed'],
  ])('names the first bad record when %s', async (_, sql, id, fault) => {
    await append(5);

    await tamper(db.url, sql);
    const verdict = await verifyAuditChain(ds);

    expect(verdict).toMatchObject({ ok: false, firstBad: { id, fault } });
    expect(verdict.ok || verdict.detail).toContain(`record ${id}`);
  });

  it('records a dead-lettered message as the decision of the service that gave up on it', async () => {
    await auditDeadLetters(ds).deadLettered({
      service: 'notifier',
      subject: 'evt.check.failed.v1',
      stream: 'NS_EVENTS',
      seq: 41,
      deliveries: 5,
      reason: 'cannot handle poison',
    });

    const [row] = await ds.getRepository(AuditLogEntity).find();
    expect(row).toMatchObject({
      actorKind: 'system',
      actorId: 'notifier',
      action: 'message.dead-lettered',
      target: 'evt.check.failed.v1#NS_EVENTS:41',
      params: { deliveries: 5, reason: 'cannot handle poison' },
    });
  });

  it('walks a trail longer than one batch', async () => {
    await ds.transaction(async (m) => {
      for (let i = 0; i < 1105; i++)
        await appendAudit(m, { actor: systemActor('scheduler'), action: 'rollout.auto-rollback', target: `r-${i}` });
    });
    await tamper(db.url, `UPDATE audit_log SET outcome = 'failed' WHERE id = 1050`);

    expect(await verifyAuditChain(ds)).toMatchObject({ ok: false, records: 1049, firstBad: { id: '1050' } });
  });
});

describe('audit trail migration', () => {
  it('carries the old lock_audit rows into the chain and drops the table', async () => {
    const db = await createTestDatabase();
    const old = createDataSource(db.url);
    Object.assign(old.options, {
      migrations: allMigrations.slice(
        0,
        allMigrations.findIndex((m) => m.name === 'AuditLog1765100000000'),
      ),
    });
    await old.initialize();
    await old.runMigrations();
    await old.query(
      `INSERT INTO lock_audit (lock_key, action, by_whom, reason, removed) VALUES ('cluster', 'force_release', 'bob', 'wedged', '{"holder":"s1","token":7}')`,
    );
    await old.destroy();
    const ds = createDataSource(db.url);
    await ds.initialize();

    await runMigrations(ds);
    const rows = await ds.getRepository(AuditLogEntity).find();
    const tables = await ds.query(`SELECT 1 FROM pg_tables WHERE tablename = 'lock_audit'`);
    const verdict = await verifyAuditChain(ds);
    await ds.destroy();
    await db.drop();

    expect(rows).toEqual([
      expect.objectContaining({
        id: '1',
        action: 'lock.release',
        target: 'cluster',
        actorId: 'legacy',
        params: { reason: 'wedged', removed: { holder: 's1', token: 7 } },
      }),
    ]);
    expect(rows[0].actorName).toContain('bob');
    expect(tables).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, records: 1 });
  });
});
