import { Queries, type RolloutPlanV1 } from '@lockstep/contracts';
import type { AuditLogEntity, RolloutEntity, RolloutNodeEntity } from '@lockstep/persistence';
import { ApiModule } from './api.module';
import { ApiError } from './http/api-error';
import { LockAuditRepository } from './locks/lock-audit.repository';
import { LocksRepository } from './locks/locks.repository';
import { NodesRepository } from './nodes/nodes.repository';
import { RolloutsRepository } from './rollouts/rollouts.repository';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

/** The actor the services are handed for a request sent with `app.call`: the test app's owner token. */
const TEST_ACTOR = expect.objectContaining({ kind: 'token', name: 'test-owner', role: 'owner', components: null });

const ID = '0b9f3c1e-8d2a-4e5f-9a6b-7c8d9e0f1a2b';
const T0 = new Date('2026-01-01T00:00:00Z');

const rollout = (over: Partial<RolloutEntity> = {}): RolloutEntity => ({
  id: ID,
  component: 'demo',
  targetVersion: '1.1.0',
  kind: 'upgrade',
  artifact: { uri: 's3://x', sha256: 'a'.repeat(64), length: 1 },
  selector: 'all',
  strategy: {
    maxParallel: 2,
    canary: 1,
    minHealthyMs: 10_000,
    healthyDeadlineMs: 300_000,
    progressDeadlineMs: 600_000,
    maxFailures: 0,
    autoRollback: true,
    pauseBetweenBatchesMs: 0,
  },
  state: 'running',
  reason: null,
  lockToken: '42',
  conductor: 'sched-1',
  rollbackOf: null,
  skipped: [],
  createdAt: T0,
  updatedAt: T0,
  finishedAt: null,
  ...over,
});
const node = (nodeId: string, over: Partial<RolloutNodeEntity> = {}): RolloutNodeEntity =>
  ({
    rolloutId: ID,
    nodeId,
    batch: 1,
    canary: false,
    fromVersion: '1.0.0',
    status: 'pending',
    commandId: null,
    step: null,
    percent: 0,
    error: null,
    startedAt: null,
    finishedAt: null,
    ...over,
  }) as RolloutNodeEntity;
const plan: RolloutPlanV1 = {
  component: 'demo',
  version: '1.1.0',
  kind: 'upgrade',
  lockKey: 'cluster',
  batches: [{ index: 0, canary: true, nodes: [{ id: 'node-1', fromVersion: '1.0.0' }] }],
  alreadyAtVersion: ['node-3'],
  maxFailures: 0,
  skipped: [{ nodeId: 'node-9', reason: 'lost since 2025-12-31T00:00:00.000Z (no heartbeat since then)' }],
};
const record = (id: string, seenAt = T0.toISOString()) => ({
  id,
  hostname: `${id}.local`,
  labels: { group: 'canary' },
  components: { demo: '1.0.0' },
  agentVersion: '0.1.0',
  seenAt,
  state: 'idle',
});
const noResponders = () => new Error('Empty response. There are no subscribers listening to that message ("t.qry")');

describe(`${ApiModule.name} fleet routes`, () => {
  let app: ApiTestApp;
  const send = jest.fn();
  const nodes = { list: jest.fn() };
  const rollouts = { list: jest.fn(), find: jest.fn(), nodes: jest.fn() };
  const locks = { list: jest.fn() };
  const audit = { latest: jest.fn() };
  const call = (method: string, path: string, body?: unknown) => app.call(method, path, body);

  beforeAll(async () => {
    app = await startApiTestApp({
      send,
      config: { API_QUERY_TIMEOUT: '2s', API_ROLLOUT_TIMEOUT: '90s' },
      repositories: [
        [NodesRepository, nodes],
        [RolloutsRepository, rollouts],
        [LocksRepository, locks],
        [LockAuditRepository, audit],
      ],
    });
  });
  afterAll(() => app.close());
  beforeEach(() => jest.resetAllMocks());

  describe('GET /v1/nodes', () => {
    it('lists what each agent reported, lost nodes marked', async () => {
      nodes.list.mockResolvedValue([
        { record: record('node-1'), lost: false },
        { record: record('node-2'), lost: true },
      ]);

      const res = await call('GET', '/v1/nodes');

      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        {
          id: 'node-1',
          hostname: 'node-1.local',
          labels: { group: 'canary' },
          components: { demo: '1.0.0' },
          agentVersion: '0.1.0',
          state: 'idle',
          seenAt: '2026-01-01T00:00:00.000Z',
          lost: false,
        },
        expect.objectContaining({ id: 'node-2', lost: true }),
      ]);
    });

    it('answers 502 with the repository message when NATS cannot be read', async () => {
      nodes.list.mockRejectedValue(
        ApiError.unavailable(
          'the API cannot read the node directory (KV bucket LOCKSTEP_NODES) from NATS (CONNECTION_REFUSED)',
        ),
      );

      const res = await call('GET', '/v1/nodes');

      expect(res).toMatchObject({
        status: 502,
        body: { code: 'SERVICE_UNAVAILABLE', detail: expect.stringContaining('LOCKSTEP_NODES') },
      });
    });
  });

  describe('POST /v1/rollouts', () => {
    it('asks the scheduler with the defaults filled in and the rollout timeout; 201 with the id and plan', async () => {
      send.mockResolvedValue({ ok: true, result: { plan, rolloutId: ID } });

      const res = await call('POST', '/v1/rollouts', {
        component: 'demo',
        version: '1.1.0',
        maxParallel: 2,
        canary: '20%',
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ rolloutId: ID, dryRun: false, plan });
      expect(send).toHaveBeenCalledWith(
        Queries.RolloutCreate,
        {
          component: 'demo',
          version: '1.1.0',
          selector: 'all',
          direction: 'upgrade',
          maxParallel: 2,
          canary: '20%',
          minHealthyMs: 10_000,
          healthyDeadlineMs: 300_000,
          progressDeadlineMs: 600_000,
          maxFailures: 0,
          autoRollback: true,
          pauseBetweenBatchesMs: 0,
          dryRun: false,
          actor: TEST_ACTOR,
        },
        90_000,
      );
    });

    it('answers a dry run with 200 and the plan only', async () => {
      send.mockResolvedValue({ ok: true, result: { plan } });

      const res = await call('POST', '/v1/rollouts', {
        component: 'demo',
        version: '1.1.0',
        dryRun: true,
        direction: 'downgrade',
      });

      expect(res).toMatchObject({ status: 200, body: { rolloutId: null, dryRun: true, plan } });
      expect(send.mock.calls[0][1]).toMatchObject({ dryRun: true, direction: 'downgrade' });
    });

    it.each([
      ['no version', { component: 'demo' }, /version: /],
      [
        'an unknown field',
        { component: 'demo', version: '1', nodes: 'all' },
        /unknown field "nodes"; allowed fields: component, version, selector/,
      ],
      [
        'a canary above 100%',
        { component: 'demo', version: '1', canary: '150%' },
        /canary: a percentage must be at most 100%/,
      ],
      ['a bad max-failures', { component: 'demo', version: '1', maxFailures: 'two' }, /maxFailures: /],
      ['zero parallelism', { component: 'demo', version: '1', maxParallel: 0 }, /maxParallel: /],
      ['a bad direction', { component: 'demo', version: '1', direction: 'sideways' }, /direction: /],
    ])('answers 400 for %s without asking the scheduler', async (_name, body, message) => {
      const res = await call('POST', '/v1/rollouts', body);

      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', detail: expect.stringMatching(message) });
      expect(send).not.toHaveBeenCalled();
    });

    it.each([
      [409, 'ROLLOUT_ACTIVE', 'rollout x (demo → 1.1.0) is running; only one rollout runs per cluster'],
      [400, 'WRONG_DIRECTION', 'node-1 runs 2.0.0: 1.1.0 is not an upgrade for them; use lockstep downgrade'],
      [400, 'NODES_LOST', 'every selected node is lost (node-2): none heart-beats, so none can be updated'],
      [400, 'NODES_LOST', 'node node-2 stopped heart-beating (lost) and cannot be updated; … lockstep nodes rm node-2'],
      [404, 'NOT_FOUND', 'release demo 9.9.9 is not known'],
    ])("answers %i for the scheduler's %s with its message", async (status, code, message) => {
      send.mockResolvedValue({ ok: false, error: { code, message } });

      const res = await call('POST', '/v1/rollouts', { component: 'demo', version: '1.1.0' });

      expect(res).toMatchObject({ status, body: { code, detail: message } });
    });

    it('says the scheduler is not running when nobody answers', async () => {
      send.mockRejectedValue(noResponders());

      const res = await call('POST', '/v1/rollouts', { component: 'demo', version: '1.1.0' });

      expect(res.status).toBe(502);
      expect(res.body.detail).toMatch(
        /^the scheduler is not running or not reachable over NATS \(nobody answers qry\.scheduler\.rollout-create\.v1\)/,
      );
    });
  });

  describe('GET /v1/rollouts', () => {
    it('passes the filter and answers views with node counts', async () => {
      rollouts.list.mockResolvedValue([
        {
          rollout: rollout({ state: 'failed', reason: '1 node(s) failed', finishedAt: T0 }),
          statusCounts: { succeeded: 2, failed: 1, reverted: 1, installing: 1 },
        },
      ]);

      const res = await call('GET', '/v1/rollouts?state=failed&limit=5');

      expect(rollouts.list).toHaveBeenCalledWith({ state: 'failed', limit: 5 });
      expect(res.body.items).toEqual([
        expect.objectContaining({
          id: ID,
          state: 'failed',
          reason: '1 node(s) failed',
          lockToken: 42,
          finishedAt: '2026-01-01T00:00:00.000Z',
          counts: { total: 5, pending: 0, inProgress: 1, succeeded: 2, failed: 1, rolledBack: 1 },
        }),
      ]);
    });

    it('shows a token narrowed to components only their rollouts', async () => {
      rollouts.list.mockResolvedValue([]);
      const scoped = await app.issueToken({ name: 'web', role: 'viewer', components: ['web', 'api'] });

      await app.send('GET', '/v1/rollouts?limit=5', { headers: { authorization: `Bearer ${scoped}` } });

      expect(rollouts.list).toHaveBeenCalledWith({ limit: 5, components: ['api', 'web'] });
    });

    it.each([
      ['state=done', /state must be one of planned, running, paused, succeeded, failed, aborted, rolled_back/],
      ['limit=0', /limit must be a whole number from 1 to 200/],
      ['newest=1', /unknown field "newest"/],
    ])('answers 400 for %s', async (qs, message) => {
      const res = await call('GET', `/v1/rollouts?${qs}`);

      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(message);
    });
  });

  describe('GET /v1/rollouts/:id', () => {
    it('answers the rollout with every node in batch order, and the nodes it left out with why', async () => {
      rollouts.find.mockResolvedValue(rollout({ skipped: plan.skipped }));
      rollouts.nodes.mockResolvedValue([
        node('node-1', {
          batch: 0,
          canary: true,
          status: 'succeeded',
          step: 'health_check',
          percent: 100,
          startedAt: T0,
          finishedAt: T0,
        }),
        node('node-2', { status: 'installing', step: 'health_check', percent: 62, startedAt: T0 }),
        node('node-3'),
      ]);

      const res = await call('GET', `/v1/rollouts/${ID}`);

      expect(res.status).toBe(200);
      expect(res.body.counts).toEqual({ total: 3, pending: 1, inProgress: 1, succeeded: 1, failed: 0, rolledBack: 0 });
      expect(res.body.strategy).toMatchObject({ maxParallel: 2, autoRollback: true });
      expect(res.body.nodes).toEqual([
        {
          nodeId: 'node-1',
          batch: 0,
          canary: true,
          fromVersion: '1.0.0',
          status: 'succeeded',
          step: 'health_check',
          percent: 100,
          error: null,
          startedAt: '2026-01-01T00:00:00.000Z',
          finishedAt: '2026-01-01T00:00:00.000Z',
        },
        expect.objectContaining({ nodeId: 'node-2', status: 'installing', step: 'health_check', percent: 62 }),
        expect.objectContaining({ nodeId: 'node-3', status: 'pending', step: null, startedAt: null }),
      ]);
      expect(res.body.skipped).toEqual([
        { nodeId: 'node-9', reason: 'lost since 2025-12-31T00:00:00.000Z (no heartbeat since then)' },
      ]);
      expect(rollouts.find).toHaveBeenCalledWith(ID);
    });

    it.each([
      ['an unknown id', ID, 404, /rollout .* does not exist; list rollouts with GET \/v1\/rollouts/],
      ['a malformed id', 'abc', 400, /expected a rollout id/],
    ])('answers %s with %i', async (_name, id, status, message) => {
      rollouts.find.mockResolvedValue(null);

      const res = await call('GET', `/v1/rollouts/${id}`);

      expect(res.status).toBe(status);
      expect(res.body.detail).toMatch(message);
    });
  });

  describe('POST /v1/rollouts/:id/pause|resume|abort', () => {
    it.each([
      ['pause', 'paused'],
      ['resume', 'running'],
      ['abort', 'aborted'],
    ] as const)('%s asks the scheduler and answers the new state', async (action, state) => {
      rollouts.find.mockResolvedValue(rollout());
      send.mockResolvedValue({ ok: true, result: { state } });

      const res = await call('POST', `/v1/rollouts/${ID}/${action}`);

      expect(res).toMatchObject({ status: 200, body: { rolloutId: ID, state } });
      expect(send).toHaveBeenCalledWith(Queries.RolloutAction, { rolloutId: ID, action, actor: TEST_ACTOR }, 2000);
    });

    it('answers 409 when the rollout is not in a state for the action', async () => {
      rollouts.find.mockResolvedValue(rollout({ state: 'succeeded' }));
      send.mockResolvedValue({
        ok: false,
        error: { code: 'INVALID_STATE', message: 'cannot pause a rollout that is succeeded' },
      });

      const res = await call('POST', `/v1/rollouts/${ID}/pause`);

      expect(res).toMatchObject({
        status: 409,
        body: { code: 'INVALID_STATE', detail: 'cannot pause a rollout that is succeeded' },
      });
    });

    it('answers 404 for an unknown rollout without asking the scheduler', async () => {
      rollouts.find.mockResolvedValue(null);

      const res = await call('POST', `/v1/rollouts/${ID}/abort`);

      expect(res.status).toBe(404);
      expect(send).not.toHaveBeenCalled();
    });
  });

  describe('POST /v1/rollbacks', () => {
    it.each([
      [{}, { maxParallel: 1, restoreData: false }],
      [
        { rolloutId: ID, maxParallel: 3 },
        { rolloutId: ID, maxParallel: 3, restoreData: false },
      ],
      [
        { rolloutId: ID, restoreData: true },
        { rolloutId: ID, maxParallel: 1, restoreData: true },
      ],
    ])('asks the scheduler to roll back %j', async (body, request) => {
      send.mockResolvedValue({
        ok: true,
        result: { plan: { ...plan, kind: 'rollback' }, rolloutId: '11111111-1111-4111-8111-111111111111' },
      });

      const res = await call('POST', '/v1/rollbacks', body);

      expect(res).toMatchObject({
        status: 201,
        body: { rolloutId: '11111111-1111-4111-8111-111111111111', dryRun: false, plan: { kind: 'rollback' } },
      });
      expect(send).toHaveBeenCalledWith(Queries.RollbackCreate, { ...request, actor: TEST_ACTOR }, 90_000);
    });

    it.each([
      [{ rolloutId: 'latest' }, /rolloutId: expected a rollout id/],
      [{ maxParallel: -1 }, /maxParallel: /],
    ])('answers 400 for %j', async (body, message) => {
      const res = await call('POST', '/v1/rollbacks', body);

      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(message);
    });

    it("passes the scheduler's NOTHING_TO_ROLL_BACK on as 400", async () => {
      send.mockResolvedValue({
        ok: false,
        error: { code: 'NOTHING_TO_ROLL_BACK', message: `rollout ${ID} left no node on 1.1.0; nothing to roll back` },
      });

      const res = await call('POST', '/v1/rollbacks', {});

      expect(res).toMatchObject({ status: 400, body: { code: 'NOTHING_TO_ROLL_BACK' } });
    });
  });

  describe('locks', () => {
    const held = {
      key: 'cluster',
      holder: 'sched-1',
      rolloutId: ID,
      since: '2026-01-01T00:00:00.000Z',
      renewedAt: '2026-01-01T00:00:05.000Z',
      token: 42,
      expiresAt: '2026-01-01T00:00:20.000Z',
    };
    const auditRow = (over: Partial<AuditLogEntity>): AuditLogEntity => ({
      id: '7',
      at: T0,
      actorKind: 'token',
      actorId: 'tok-1',
      actorName: 'alice@ops',
      role: 'owner',
      action: 'lock.release',
      target: 'cluster',
      params: { reason: 'holder wedged' },
      source: '127.0.0.1',
      outcome: 'ok',
      prevHash: '0'.repeat(64),
      hash: '1'.repeat(64),
      ...over,
    });
    it('lists the holder and the latest force-releases, whichever shape the removed lease was recorded in', async () => {
      locks.list.mockResolvedValue([held]);
      audit.latest.mockResolvedValue([
        auditRow({
          params: {
            reason: 'holder wedged',
            removed: { key: 'cluster', removed: { holder: 'sched-0', rolloutId: ID, token: 7 }, by: 'alice@ops' },
          },
        }),
        auditRow({
          id: '6',
          params: { reason: 'holder wedged', removed: { holder: 'sched-9', rolloutId: ID, token: 3 } },
        }),
        auditRow({ id: '5' }),
      ]);

      const res = await call('GET', '/v1/locks');

      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([held]);
      expect(res.body.audit.map((a: { id: string; removed: unknown }) => [a.id, a.removed])).toEqual([
        ['7', { holder: 'sched-0', rolloutId: ID, token: 7 }],
        ['6', { holder: 'sched-9', rolloutId: ID, token: 3 }],
        ['5', null],
      ]);
      expect(res.body.audit[0]).toMatchObject({
        key: 'cluster',
        action: 'lock.release',
        by: 'alice@ops',
        reason: 'holder wedged',
        at: '2026-01-01T00:00:00.000Z',
      });
      expect(audit.latest).toHaveBeenCalledWith(10);
    });

    it('answers an empty list when the cluster is free', async () => {
      locks.list.mockResolvedValue([]);
      audit.latest.mockResolvedValue([]);

      const res = await call('GET', '/v1/locks');

      expect(res.body).toEqual({ items: [], audit: [] });
    });

    it('force-releases through the scheduler with the key from the path', async () => {
      send.mockResolvedValue({ ok: true, result: { released: true, removed: { holder: 'sched-1', token: 42 } } });

      const res = await call('POST', '/v1/locks/cluster/release', {
        token: 42,
        reason: 'holder wedged',
        confirm: true,
      });

      expect(res).toMatchObject({
        status: 200,
        body: { key: 'cluster', released: true, removed: { holder: 'sched-1', token: 42 } },
      });
      expect(send).toHaveBeenCalledWith(
        Queries.LockRelease,
        { key: 'cluster', token: 42, reason: 'holder wedged', confirm: true, actor: TEST_ACTOR },
        2000,
      );
    });

    it('answers 409 LOCK_HOLDER_CHANGED when another holder has the lock, with what to do', async () => {
      send.mockResolvedValue({
        ok: false,
        error: {
          code: 'LOCK_HOLDER_CHANGED',
          message:
            'lock cluster is held by sched-2 under token 43, not 42: that holder is not the one you named and keeps the lock',
        },
      });

      const res = await call('POST', '/v1/locks/cluster/release', { token: 42, reason: 'wedged', confirm: true });

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'LOCK_HOLDER_CHANGED', status: 409 });
      expect(res.body.detail).toMatch(/held by sched-2 under token 43, not 42/);
    });

    it.each([
      [
        'no confirmation',
        '/v1/locks/cluster/release',
        { token: 4, reason: 'r' },
        /confirm: force-releasing a lock needs explicit confirmation/,
      ],
      [
        'confirm other than true',
        '/v1/locks/cluster/release',
        { token: 4, reason: 'r', confirm: 'yes' },
        /confirm: force-releasing a lock needs explicit confirmation/,
      ],
      ['no reason', '/v1/locks/cluster/release', { token: 4, confirm: true }, /reason: /],
      ['no holder token', '/v1/locks/cluster/release', { reason: 'r', confirm: true }, /token: the fencing token/],
      [
        'a typed name instead of the token',
        '/v1/locks/cluster/release',
        { by: 'alice', token: 4, reason: 'r', confirm: true },
        /by/,
      ],
      [
        'a bad key',
        '/v1/locks/Cluster!/release',
        { token: 4, reason: 'r', confirm: true },
        /invalid path: .*expected a lock key such as cluster/,
      ],
    ])('answers 400 for %s without asking the scheduler', async (_name, path, body, message) => {
      const res = await call('POST', path, body);

      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(message);
      expect(send).not.toHaveBeenCalled();
    });
  });
});
