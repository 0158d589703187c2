import { systemActor, type AuditActor } from '@lockstep/contracts';
import { appendAudit, createDataSource, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, withPgClient, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { startApiTestApp, type ApiTestApp } from '../testing/api-test-app';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

const token = (id: string, name: string, role: AuditActor['role'] = 'operator'): AuditActor => ({
  kind: 'token',
  id,
  name,
  role,
  components: null,
  source: '10.0.0.7',
});
const alice = token('tok_a', 'alice');
const bob = token('tok_b', 'bob', 'owner');

describe('GET /v1/audit (real Postgres, HTTP)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let app: ApiTestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    app = await startApiTestApp({
      send: jest.fn(),
      repositories: [[AuditRepository, new AuditRepository(ds)]],
    });
    const old = new Date(Date.now() - 3 * 86_400_000);
    await appendAudit(ds.manager, { actor: alice, action: 'rollout.create', target: 'r-old', at: old });
    await appendAudit(ds.manager, {
      actor: alice,
      action: 'rollout.create',
      target: 'r-1',
      params: { version: '1.1.0' },
    });
    await appendAudit(ds.manager, { actor: bob, action: 'subscription.delete', target: 's-1' });
    await appendAudit(ds.manager, { actor: systemActor('scheduler'), action: 'rollout.auto-rollback', target: 'r-1' });
  });
  afterAll(async () => {
    await app.close();
    await ds.destroy();
    await db.drop();
  });

  it.each([
    ['everything, newest first', '', ['r-1', 's-1', 'r-1', 'r-old']],
    ['since a duration', '?since=1d', ['r-1', 's-1', 'r-1']],
    ['one actor by name', '?actor=alice', ['r-1', 'r-old']],
    ['one actor by token id', '?actor=tok_b', ['s-1']],
    ['an exact action', '?action=rollout.create&since=1d', ['r-1']],
    ['a kind of action', '?action=rollout.', ['r-1', 'r-1', 'r-old']],
    ['a limit', '?limit=1', ['r-1']],
  ])('lists %s', async (_, query, targets) => {
    const res = await app.call('GET', `/v1/audit${query}`);

    expect(res.status).toBe(200);
    expect(res.body.items.map((r: { target: string }) => r.target)).toEqual(targets);
  });

  it('shows who did it as the token recorded it, with the chain links', async () => {
    const res = await app.call('GET', '/v1/audit?actor=bob');

    expect(res.body.items[0]).toEqual({
      id: '3',
      at: expect.any(String),
      actor: { kind: 'token', id: 'tok_b', name: 'bob' },
      role: 'owner',
      action: 'subscription.delete',
      target: 's-1',
      params: {},
      source: '10.0.0.7',
      outcome: 'ok',
      prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it.each([
    ['a bad since', '?since=yesterday', /since must be a duration such as 30m/],
    ['a bad action', '?action=DROP TABLE', /action must look like rollout.create/],
    ['an unknown parameter', '?who=alice', /who/],
  ])('answers 400 for %s', async (_, query, message) => {
    const res = await app.call('GET', `/v1/audit${query}`);

    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(message);
  });

  it('verifies the chain, then names the record an attacker edited', async () => {
    const intact = await app.call('GET', '/v1/audit/verify');
    await withPgClient(db.url, async (c) => {
      await c.query('SET session_replication_role = replica');
      await c.query(`UPDATE audit_log SET actor_name = 'mallory' WHERE id = 2`);
    });
    const broken = await app.call('GET', '/v1/audit/verify');

    expect(intact.body).toEqual({
      ok: true,
      records: 4,
      head: { id: '4', hash: expect.any(String) },
      firstBad: null,
      detail: null,
    });
    expect(broken.body).toEqual({
      ok: false,
      records: 1,
      head: null,
      firstBad: { id: '2', fault: 'altered' },
      detail: expect.stringContaining('record 2'),
    });
  });
});

describe(`${AuditService.name}.recordRefused (real Postgres)`, () => {
  it('records a refused request as refused, with the weak token or as anonymous', async () => {
    const db = await createTestDatabase();
    const ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    const sut = new AuditService(new AuditRepository(ds));

    await sut.recordRefused({
      actor: null,
      action: 'POST /v1/rollouts',
      target: '/v1/rollouts',
      source: '10.9.9.9',
      status: 401,
      reason: 'TOKEN_MISSING',
    });
    await sut.recordRefused({
      actor: alice,
      action: 'DELETE /v1/subscriptions/:id',
      target: '/v1/subscriptions/s-1',
      source: '10.0.0.7',
      status: 403,
      reason: 'ROLE_TOO_LOW',
    });
    const rows = await sut.list({ limit: 10 });
    await ds.destroy();
    await db.drop();

    expect(rows.map((r) => [r.action, r.outcome, r.actor.id, r.source, r.params])).toEqual([
      [
        'request.refused',
        'refused',
        'tok_a',
        '10.0.0.7',
        { route: 'DELETE /v1/subscriptions/:id', status: 403, reason: 'ROLE_TOO_LOW' },
      ],
      [
        'request.refused',
        'refused',
        'anonymous',
        '10.9.9.9',
        { route: 'POST /v1/rollouts', status: 401, reason: 'TOKEN_MISSING' },
      ],
    ]);
  });
});
