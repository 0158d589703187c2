import { request as httpRequest } from 'node:http';
import { roleAllows, type Role } from '@lockstep/contracts';
import { type QueryClient } from '@lockstep/messaging';
import { createDataSource, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { BackupsRepository } from './backups/backups.repository';
import { ComponentsRepository } from './components/components.repository';
import { DeliveriesRepository } from './deliveries/deliveries.repository';
import { OutboxDeadLettersRepository } from './dead-letters/outbox-dead-letters.repository';
import { ROUTE_ACCESS, type RouteAccess } from './http/route-access';
import { LockAuditRepository } from './locks/lock-audit.repository';
import { LocksRepository } from './locks/locks.repository';
import { NodesRepository } from './nodes/nodes.repository';
import { PolicyRepository } from './policy/policy.repository';
import { ReleasesRepository } from './releases/releases.repository';
import { RolloutsRepository } from './rollouts/rollouts.repository';
import { SchedulesRepository } from './schedules/schedules.repository';
import { SettingsRepository } from './settings/settings.repository';
import { SubscriptionsRepository } from './subscriptions/subscriptions.repository';
import { UpdateDecisionsRepository } from './updates/update-decisions.repository';
import { startApiTestApp, type ApiTestApp, type ApiTestResponse } from './testing/api-test-app';

const ROLLOUT_ID = '0b6f3c1e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
const SUB_ID = '6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60';
const TARGET_TOKEN_ID = 'feedfacecafe0001';

/** One request per route, acting on component `demo` (the seeded rollout and backup belong to it). */
const SAMPLES: Record<string, { path: string; body?: unknown }> = {
  'GET /healthz': { path: '/healthz' },
  'GET /readyz': { path: '/readyz' },
  'GET /metrics': { path: '/metrics' },
  'GET /v1/openapi.json': { path: '/v1/openapi.json' },
  'GET /v1/components': { path: '/v1/components' },
  'GET /v1/components/:name': { path: '/v1/components/demo' },
  'PUT /v1/components/:name': { path: '/v1/components/demo', body: { sourceType: 'tuf', sourceConfig: {} } },
  'POST /v1/checks': { path: '/v1/checks', body: { component: 'demo' } },
  'GET /v1/releases': { path: '/v1/releases' },
  'GET /v1/subscriptions': { path: '/v1/subscriptions' },
  'POST /v1/subscriptions': {
    path: '/v1/subscriptions',
    body: { name: 'x', channel: 'webhook', target: { url: 'https://example.com/h' } },
  },
  'PATCH /v1/subscriptions/:id': { path: `/v1/subscriptions/${SUB_ID}`, body: { enabled: false } },
  'DELETE /v1/subscriptions/:id': { path: `/v1/subscriptions/${SUB_ID}` },
  'GET /v1/deliveries': { path: '/v1/deliveries' },
  'GET /v1/dead-letters': { path: '/v1/dead-letters' },
  'POST /v1/dead-letters/replay': { path: '/v1/dead-letters/replay', body: {} },
  'POST /v1/dead-letters/redrive': { path: '/v1/dead-letters/redrive', body: {} },
  'POST /v1/dead-letters/discard': { path: '/v1/dead-letters/discard', body: { seq: 1 } },
  'POST /v1/secrets/rotate': { path: '/v1/secrets/rotate', body: {} },
  'GET /v1/nodes': { path: '/v1/nodes' },
  'DELETE /v1/nodes/:id': { path: '/v1/nodes/node-1' },
  'GET /v1/rollouts': { path: '/v1/rollouts' },
  'POST /v1/rollouts': { path: '/v1/rollouts', body: { component: 'demo', version: '1.1.0' } },
  'GET /v1/rollouts/:id': { path: `/v1/rollouts/${ROLLOUT_ID}` },
  'POST /v1/rollouts/:id/pause': { path: `/v1/rollouts/${ROLLOUT_ID}/pause` },
  'POST /v1/rollouts/:id/resume': { path: `/v1/rollouts/${ROLLOUT_ID}/resume` },
  'POST /v1/rollouts/:id/abort': { path: `/v1/rollouts/${ROLLOUT_ID}/abort` },
  'POST /v1/rollbacks': { path: '/v1/rollbacks', body: { rolloutId: ROLLOUT_ID } },
  'GET /v1/locks': { path: '/v1/locks' },
  'POST /v1/locks/:key/release': {
    path: '/v1/locks/cluster/release',
    body: { token: 7, reason: 'stuck', confirm: true },
  },
  'GET /v1/backups': { path: '/v1/backups' },
  'POST /v1/backups': { path: '/v1/backups', body: {} },
  'POST /v1/backups/prune': { path: '/v1/backups/prune', body: {} },
  'GET /v1/backups/:id': { path: '/v1/backups/demo-nightly' },
  'POST /v1/backups/:id/verify': { path: '/v1/backups/demo-nightly/verify' },
  'POST /v1/backups/:id/restore': { path: '/v1/backups/demo-nightly/restore', body: { what: 'data', confirm: true } },
  'GET /v1/backup-operations/:id': { path: `/v1/backup-operations/${ROLLOUT_ID}` },
  'GET /v1/policy': { path: '/v1/policy' },
  'GET /v1/policy/components/:name': { path: '/v1/policy/components/demo' },
  'PUT /v1/policy': { path: '/v1/policy', body: { yaml: 'apiVersion: lockstep/v1', dryRun: true } },
  'PATCH /v1/policy': { path: '/v1/policy', body: { path: 'defaults.channel', value: 'beta', dryRun: true } },
  'GET /v1/updates/approvals': { path: '/v1/updates/approvals' },
  'POST /v1/updates/:component/:version/approve': { path: '/v1/updates/demo/1.1.0/approve', body: {} },
  'POST /v1/updates/:component/:version/reject': { path: '/v1/updates/demo/1.1.0/reject', body: { reason: 'no' } },
  'GET /v1/holds': { path: '/v1/holds' },
  'GET /v1/updates': { path: '/v1/updates' },
  'POST /v1/holds': { path: '/v1/holds', body: { component: 'demo', reason: 'freeze' } },
  'DELETE /v1/holds/:component': { path: '/v1/holds/demo' },
  'GET /v1/audit': { path: '/v1/audit' },
  'GET /v1/audit/verify': { path: '/v1/audit/verify' },
  'GET /v1/tokens': { path: '/v1/tokens' },
  'POST /v1/tokens': { path: '/v1/tokens', body: { name: 'new', role: 'owner' } },
  'DELETE /v1/tokens/:id': { path: `/v1/tokens/${TARGET_TOKEN_ID}` },
  'GET /v1/schedules': { path: '/v1/schedules' },
  'GET /v1/schedules/:name': { path: '/v1/schedules/nightly' },
  'POST /v1/schedules': {
    path: '/v1/schedules',
    body: { name: 'nightly', type: 'daily', time: '03:00', timezone: 'UTC' },
  },
  'PATCH /v1/schedules/:name': { path: '/v1/schedules/nightly', body: { enabled: false } },
  'DELETE /v1/schedules/:name': { path: '/v1/schedules/nightly' },
  'GET /v1/windows': { path: '/v1/windows' },
  'GET /v1/windows/:name': { path: '/v1/windows/weekend' },
  'POST /v1/windows': {
    path: '/v1/windows',
    body: { name: 'weekend', start: { days: ['sat'], time: '22:00' }, duration: '4h', timezone: 'UTC' },
  },
  'PATCH /v1/windows/:name': { path: '/v1/windows/weekend', body: { enabled: false } },
  'DELETE /v1/windows/:name': { path: '/v1/windows/weekend' },
  'GET /v1/settings': { path: '/v1/settings' },
  'GET /v1/settings/:key': { path: '/v1/settings/update.automatic' },
  'PUT /v1/settings/:key': { path: '/v1/settings/update.automatic', body: { value: false } },
  'DELETE /v1/settings/:key': { path: '/v1/settings/update.automatic' },
};

/** Who calls: no token, bad tokens, each role, and an owner narrowed to another component. */
const CALLERS = [
  'no token',
  'malformed',
  'unknown',
  'expired',
  'revoked',
  'viewer',
  'operator',
  'owner',
  'owner of other',
] as const;
type Caller = (typeof CALLERS)[number];

const LIFECYCLE = new Set(['then', 'constructor', 'onModuleInit', 'onApplicationBootstrap', 'onModuleDestroy']);

/** A repository fake that records every call (and answers nothing useful: a call at all is what counts). */
function recorder(name: string, calls: string[]): unknown {
  return new Proxy(
    {},
    {
      get: (_t, prop) =>
        typeof prop === 'symbol' || LIFECYCLE.has(prop) || prop.startsWith('on') || prop.startsWith('before')
          ? undefined
          : (..._args: unknown[]) => {
              calls.push(`${name}.${prop}`);
              // an empty list where a route combines lists (GET /v1/dead-letters)
              return Promise.resolve(prop === 'list' ? [] : undefined);
            },
    },
  );
}

/** What a caller gets from a route: 401 without a valid token, 403 for too small a role or scope, else the route runs. */
function expected(access: RouteAccess, caller: Caller, body: unknown): 'runs' | 401 | 403 {
  if (access.role === 'public') return 'runs';
  if (['no token', 'malformed', 'unknown', 'expired', 'revoked'].includes(caller)) return 401;
  const role: Role = caller === 'owner of other' ? 'owner' : (caller as Role);
  const needed =
    access.escalate && (body as Record<string, unknown> | undefined)?.[access.escalate.field] === true
      ? access.escalate.role
      : access.role;
  if (!roleAllows(role, needed)) return 403;
  if (caller === 'owner of other' && access.component) return 403;
  return 'runs';
}

describe('API access (every route × every kind of caller; real Postgres tokens, real HTTP)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let app: ApiTestApp;
  const calls: string[] = [];
  const send = jest.fn();
  const tokens: Partial<Record<Caller, string>> = {};

  const tokenRows = async () => ds.query<unknown[]>(`SELECT * FROM "api_tokens" ORDER BY "id"`);
  const as = (caller: Caller, method: string, path: string, body?: unknown): Promise<ApiTestResponse> => {
    const headers: Record<string, string> =
      caller === 'no token'
        ? {}
        : caller === 'malformed'
          ? { authorization: 'Bearer not-a-token' }
          : { authorization: `Bearer ${tokens[caller]!}` };
    return app.send(method, path, { body, headers });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    await ds.query(
      `INSERT INTO "rollouts" ("id", "component", "target_version", "kind", "artifact", "selector", "strategy", "state")
       VALUES ($1, 'demo', '1.1.0', 'upgrade', '{}', 'all', '{}', 'running')`,
      [ROLLOUT_ID],
    );
    await ds.query(
      `INSERT INTO "backups" ("id", "type", "trigger", "status", "component", "node_id", "created_at")
       VALUES ('demo-nightly', 'full', 'manual', 'completed', 'demo', 'node-1', now()),
              ('lockstep-cp', 'database', 'manual', 'completed', 'lockstep', NULL, now())`,
    );
    const fakes = [
      ComponentsRepository,
      ReleasesRepository,
      SubscriptionsRepository,
      DeliveriesRepository,
      NodesRepository,
      RolloutsRepository,
      LocksRepository,
      LockAuditRepository,
      BackupsRepository,
      OutboxDeadLettersRepository,
      PolicyRepository,
      UpdateDecisionsRepository,
      SchedulesRepository,
      SettingsRepository,
    ].map((r): [unknown, unknown] => [r, recorder(r.name, calls)]);
    app = await startApiTestApp({ send: send as QueryClient['send'], repositories: fakes, database: ds });
    tokens.owner = app.ownerToken;
    tokens.viewer = await app.issueToken({ name: 'v', role: 'viewer' });
    tokens.operator = await app.issueToken({ name: 'o', role: 'operator' });
    tokens['owner of other'] = await app.issueToken({ name: 'scoped', role: 'owner', components: ['other'] });
    tokens.expired = await app.issueToken({ name: 'e', role: 'owner', expires: '1h' });
    tokens.revoked = await app.issueToken({ name: 'r', role: 'owner' });
    tokens.unknown = `lst_${'0'.repeat(16)}_${'x'.repeat(43)}`;
    const id = (t: string) => t.slice(4, 20);
    await ds.query(`UPDATE "api_tokens" SET "expires_at" = now() - interval '1 second' WHERE "id" = $1`, [
      id(tokens.expired),
    ]);
    await ds.query(`UPDATE "api_tokens" SET "revoked_at" = now() WHERE "id" = $1`, [id(tokens.revoked)]);
    await ds.query(
      `INSERT INTO "api_tokens" ("id", "name", "role", "secret_hash") VALUES ($1, 'target', 'viewer', 'x')`,
      [TARGET_TOKEN_ID],
    );
  });
  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('has a sample request for every declared route', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(ROUTE_ACCESS).sort());
  });

  const cases = Object.entries(ROUTE_ACCESS).flatMap(([key, access]) => {
    const samples = [SAMPLES[key]];
    if (access.escalate)
      samples.push({ ...samples[0], body: { ...(samples[0].body as object), [access.escalate.field]: true } });
    return samples.flatMap((sample) =>
      CALLERS.map((caller) => ({
        key,
        access,
        sample,
        caller,
        want: expected(access, caller, sample.body),
        label: `${key}${sample.body ? ` ${JSON.stringify(sample.body)}` : ''} as ${caller}`,
      })),
    );
  });

  it.each(cases)('$label → $want', async ({ key, sample, caller, want }) => {
    const method = key.split(' ')[0];
    const before = await tokenRows();
    calls.length = 0;
    send.mockReset();

    const res = await as(caller, method, sample.path, sample.body);

    if (want === 'runs') {
      expect([401, 403, 421]).not.toContain(res.status);
      return;
    }
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status: want,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(res.body).toMatchObject({ status: want, code: expect.any(String), detail: expect.any(String) });
    expect(calls).toEqual([]);
    expect(send).not.toHaveBeenCalled();
    expect(await tokenRows()).toEqual(before);
  });

  it('refuses a token narrowed to the control plane’s component the control plane’s own backups, and lets an unscoped owner through', async () => {
    const narrowed = await app.issueToken({ name: 'cp-scoped', role: 'owner', components: ['lockstep'] });
    const demo = await app.issueToken({ name: 'demo-scoped', role: 'owner', components: ['demo'] });
    const restore = { what: 'database', confirm: true };

    const refused = [
      await app.send('POST', '/v1/backups/lockstep-cp/restore', {
        body: restore,
        headers: { authorization: `Bearer ${narrowed}` },
      }),
      await app.send('POST', '/v1/backups/lockstep-cp/verify', { headers: { authorization: `Bearer ${narrowed}` } }),
    ];
    const unscoped = [
      await as('owner', 'POST', '/v1/backups/lockstep-cp/restore', restore),
      await as('owner', 'POST', '/v1/backups/lockstep-cp/verify'),
    ];
    const ownComponent = await app.send('POST', '/v1/backups/demo-nightly/verify', {
      headers: { authorization: `Bearer ${demo}` },
    });

    for (const res of refused)
      expect(res).toMatchObject({
        status: 403,
        body: { code: 'COMPONENT_NOT_IN_SCOPE', detail: expect.stringContaining("control plane's own databases") },
      });
    for (const res of [...unscoped, ownComponent]) expect([401, 403, 421]).not.toContain(res.status);
  });

  it('records a token’s last use, at most once a minute', async () => {
    await as('viewer', 'GET', '/v1/openapi.json');
    await as('viewer', 'GET', '/v1/components');
    const [first] = await ds.query<Array<{ last_used_at: Date }>>(
      `SELECT "last_used_at" FROM "api_tokens" WHERE "name" = 'v'`,
    );
    await as('viewer', 'GET', '/v1/components');
    const [second] = await ds.query<Array<{ last_used_at: Date }>>(
      `SELECT "last_used_at" FROM "api_tokens" WHERE "name" = 'v'`,
    );

    expect(first.last_used_at).toBeInstanceOf(Date);
    expect(second.last_used_at).toEqual(first.last_used_at);
  });

  it('issues a token shown once, stores only its hash, lists it without secrets, and refuses it once revoked', async () => {
    const created = await app.call('POST', '/v1/tokens', { name: 'ci', role: 'viewer', components: ['demo'] });
    const stored = JSON.stringify(await ds.query(`SELECT * FROM "api_tokens"`));
    const listed = await app.call('GET', '/v1/tokens');
    const revoke = await app.call('DELETE', `/v1/tokens/${created.body.id}`);
    const after = await app.send('GET', '/v1/components', {
      headers: { authorization: `Bearer ${created.body.token}` },
    });

    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^lst_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(created.body.token.slice(21));
    expect(listed.text).not.toContain(created.body.token.slice(21));
    expect(listed.body.items.find((t: { id: string }) => t.id === created.body.id)).toMatchObject({
      name: 'ci',
      role: 'viewer',
      components: ['demo'],
      createdBy: 'test-owner',
      revokedAt: null,
    });
    expect(revoke.status).toBe(200);
    expect(after).toMatchObject({ status: 401, body: { code: 'TOKEN_REVOKED' } });
  });

  it('refuses a Host it does not serve before looking at the token (DNS rebinding)', async () => {
    const port = new URL(app.base).port;
    const ask = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/v1/components',
            headers: { host, authorization: `Bearer ${app.ownerToken}` },
          },
          (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });

    const evil = await ask('evil.example');
    const local = await ask(`localhost:${port}`);
    const open = await app.send('GET', '/v1/openapi.json', { headers: { host: 'evil.example' } });

    expect(evil.status).toBe(421);
    expect(JSON.parse(evil.body)).toMatchObject({
      code: 'HOST_NOT_ALLOWED',
      detail: expect.stringContaining('API_ALLOWED_HOSTS'),
    });
    expect(local.status).not.toBe(421);
    expect(open.status).toBe(200);
  });
});
