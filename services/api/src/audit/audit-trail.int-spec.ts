/**
 * Acceptance 2 of the audit trail: every mutating route, through real HTTP and real Postgres,
 * writes exactly one audit record naming the request's token; the chain then verifies, and
 * fails naming the record after one row is edited in SQL, and again after one is deleted.
 *
 * The API's queries go to the real handlers and services of the scheduler, notifier and checker
 * (JSON round trip, as on the wire), built on the same database; only what lies outside Lockstep
 * is replaced: the release source behind a check, and the fleet (nodes, release lookup) a
 * rollout is planned from. The cluster lock is a real FleetLock on nats-server.
 */
import { DEFAULT_POLICY_FILE, Queries } from '@lockstep/contracts';
import { FleetLock, lockBucketName, type FleetLease } from '@lockstep/fleet-lock';
import { ensureStreams, NatsClient } from '@lockstep/messaging';
import {
  AuditLogEntity,
  BackupEntity,
  createDataSource,
  RolloutNodeEntity,
  runMigrations,
  SecretKeyring,
} from '@lockstep/persistence';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, uniqueName, withPgClient, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { CheckRepository } from '../../../checker/src/checks/check.repository';
import { ChecksHandler } from '../../../checker/src/checks/checks.handler';
import { ChecksService } from '../../../checker/src/checks/checks.service';
import type { ReleaseCheckService } from '../../../checker/src/checks/release-check.service';
import { ComponentsService as CheckerComponents } from '../../../checker/src/components/components.service';
import { DeadLettersHandler } from '../../../notifier/src/deliveries/dead-letters.handler';
import { DeadLettersService } from '../../../notifier/src/deliveries/dead-letters.service';
import { DeliveryRepository } from '../../../notifier/src/deliveries/delivery.repository';
import type { DeliveryWorker } from '../../../notifier/src/deliveries/delivery-worker.service';
import type { NotifierConfig } from '../../../notifier/src/notifier.config';
import { SealedRowsRepository } from '../../../notifier/src/secrets/sealed-rows.repository';
import { SecretsAtRest } from '../../../notifier/src/secrets/secrets-at-rest.service';
import { SecretsHandler } from '../../../notifier/src/secrets/secrets.handler';
import { SubscriptionRepository } from '../../../notifier/src/subscriptions/subscription.repository';
import { SubscriptionsHandler } from '../../../notifier/src/subscriptions/subscriptions.handler';
import { SubscriptionsService as NotifierSubscriptions } from '../../../notifier/src/subscriptions/subscriptions.service';
import { AuditRepository as SchedulerAudit } from '../../../scheduler/src/audit/audit.repository';
import { DeadLetterStream } from '../../../scheduler/src/dead-letters/dead-letter-stream.repository';
import { DeadLettersHandler as SchedulerDeadLettersHandler } from '../../../scheduler/src/dead-letters/dead-letters.handler';
import { DeadLettersService as SchedulerDeadLetters } from '../../../scheduler/src/dead-letters/dead-letters.service';
import { OutboxDeadLettersRepository } from '../../../scheduler/src/dead-letters/outbox-dead-letters.repository';
import { FleetLockAdapter } from '../../../scheduler/src/fleet/fleet-lock.adapter';
import type { ComponentVersions } from '../../../scheduler/src/fleet/component-versions.service';
import { SystemClock } from '../../../scheduler/src/clock/clock.port';
import type { FleetView } from '../../../scheduler/src/fleet/fleet-view.service';
import type { NodeCommander } from '../../../scheduler/src/fleet/node-commander';
import { NodeRemovalService } from '../../../scheduler/src/fleet/node-removal.service';
import { NodesHandler } from '../../../scheduler/src/fleet/nodes.handler';
import { NodesRepository as SchedulerNodes } from '../../../scheduler/src/fleet/nodes.repository';
import type { ReleaseInfoRepository } from '../../../scheduler/src/rollouts/release-info.repository';
import { RolloutRepository } from '../../../scheduler/src/rollouts/rollout.repository';
import type { RolloutReconciler } from '../../../scheduler/src/rollouts/rollout-reconciler.service';
import { RolloutsHandler } from '../../../scheduler/src/rollouts/rollouts.handler';
import { RolloutsService as SchedulerRollouts } from '../../../scheduler/src/rollouts/rollouts.service';
import { demoNode } from '../../../scheduler/src/testing/scheduler-fixtures';
import type { SchedulerConfig } from '../../../scheduler/src/scheduler.config';
import { ROUTES } from '../openapi/openapi.document';
import { BackupsRepository } from '../backups/backups.repository';
import { ComponentsRepository } from '../components/components.repository';
import { RolloutsRepository } from '../rollouts/rollouts.repository';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import { SchedulesRepository } from '../schedules/schedules.repository';
import { PolicyRepository } from '../policy/policy.repository';
import { UpdateDecisionsRepository } from '../updates/update-decisions.repository';
import { SettingsRepository } from '../settings/settings.repository';
import { tokenId } from '../tokens/token-secret';
import { startApiTestApp, type ApiTestApp } from '../testing/api-test-app';
import { AuditRepository } from './audit.repository';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];

describe('audit trail of every mutating route (HTTP, Postgres, nats-server, the services’ handlers)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let nats: NatsClient;
  let namespace: string;
  let app: ApiTestApp;
  let lease: FleetLease;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    namespace = uniqueName('audit');
    nats = new NatsClient({ service: 'audit-int', connection: { NATS_URL: servers }, namespace, handles: [] });
    await nats.connect();
    await ensureStreams(nats.jsm, namespace, 1);

    const checkRepo = new CheckRepository(ds);
    const releaseChecks = {
      check: async (c: { name: string }) => ({ component: c.name, ok: true, announced: [] }),
      checkAll: async () => [],
    } as unknown as ReleaseCheckService;
    const checker = new ChecksHandler(new ChecksService(checkRepo, releaseChecks), new CheckerComponents(checkRepo));
    const notifierConfig = { NOTIFIER_ALLOWED_DESTINATIONS: 'loopback' } as NotifierConfig;
    const keyring = new SecretKeyring(randomBytes(32));
    const secrets = new SecretsHandler(new SecretsAtRest(new SealedRowsRepository(ds), keyring));
    const subscriptions = new SubscriptionsHandler(
      new NotifierSubscriptions(new SubscriptionRepository(ds, keyring), notifierConfig),
    );
    const deadLetters = new DeadLettersHandler(
      new DeadLettersService(new DeliveryRepository(ds), { wake: () => undefined } as unknown as DeliveryWorker),
    );
    const schedulerConfig = {
      NATS_NAMESPACE: namespace,
      SCHEDULER_REPLICA_ID: 'sched-int',
      SCHEDULER_LOCK_LEASE: 3000,
      NATS_REPLICAS: 1,
    } as SchedulerConfig;
    const releases = {
      get: async (component: string, version: string) => ({
        ok: true as const,
        result: { component, version, scheme: 'semver', artifact: { uri: 's3://b/demo', sha256: 'a', length: 1 } },
      }),
    } as unknown as ReleaseInfoRepository;
    const rollouts = new RolloutsHandler(
      new SchedulerRollouts(
        new RolloutRepository(ds),
        { list: async () => [demoNode('n1'), demoNode('n2')] } as unknown as FleetView,
        { wake: () => undefined } as unknown as RolloutReconciler,
        releases,
        new FleetLockAdapter(nats, schedulerConfig),
        new SchedulerAudit(ds),
        // the version an abort leaves is the scheduler's own decision, not the operator's mutation
        { afterRollout: async () => undefined } as unknown as ComponentVersions,
      ),
    );
    const redrive = new SchedulerDeadLettersHandler(
      new SchedulerDeadLetters(new DeadLetterStream(nats), new OutboxDeadLettersRepository(ds), new SchedulerAudit(ds)),
    );
    // node n3 stopped heart-beating; its record's removal in the bucket is what lies outside Lockstep here
    const deadNode = { ...demoNode('n3'), lost: true, revision: 1 };
    const nodes = new NodesHandler(
      new NodeRemovalService(
        {
          find: async (id: string) => (id === deadNode.record.id ? deadNode : undefined),
          remove: async () => undefined,
        } as unknown as FleetView,
        { removeConsumer: async () => true } as unknown as NodeCommander,
        new SchedulerNodes(ds),
        new SystemClock(),
      ),
    );
    const handlers: Record<string, (payload: unknown) => Promise<unknown>> = {
      [Queries.ComponentUpsert]: (p) => checker.upsertComponent(p),
      [Queries.CheckNow]: (p) => checker.checkNow(p),
      [Queries.SubscriptionUpsert]: (p) => subscriptions.upsert(p),
      [Queries.SubscriptionDelete]: (p) => subscriptions.delete(p),
      [Queries.DeadLetterReplay]: (p) => deadLetters.replay(p),
      [Queries.DeadLetterRedrive]: (p) => redrive.redrive(p),
      [Queries.DeadLetterDiscard]: (p) => redrive.discard(p),
      [Queries.SecretsRotate]: (p) => secrets.rotate(p),
      [Queries.RolloutCreate]: (p) => rollouts.create(p),
      [Queries.RolloutAction]: (p) => rollouts.action(p),
      [Queries.RollbackCreate]: (p) => rollouts.rollback(p),
      [Queries.LockRelease]: (p) => rollouts.release(p),
      [Queries.NodeRemove]: (p) => nodes.remove(p),
    };
    app = await startApiTestApp({
      // As on the wire: the payload goes through JSON.
      send: (async (query: string, payload: unknown) => handlers[query](JSON.parse(JSON.stringify(payload)))) as never,
      repositories: [
        [AuditRepository, new AuditRepository(ds)],
        [BackupsRepository, new BackupsRepository(ds)],
        [ComponentsRepository, new ComponentsRepository(ds)],
        [RolloutsRepository, new RolloutsRepository(ds)],
        [SubscriptionsRepository, new SubscriptionsRepository(ds)],
        [SchedulesRepository, new SchedulesRepository(ds)],
        [PolicyRepository, new PolicyRepository(ds)],
        [UpdateDecisionsRepository, new UpdateDecisionsRepository(ds)],
        [SettingsRepository, new SettingsRepository(ds)],
      ],
      database: ds,
    });
    await ds.query(
      `INSERT INTO announced_releases (id, component, version, kind, channel, artifact_uri, sha256, length)
       VALUES (gen_random_uuid(), 'demo', '2.0.0', 'major', 'stable', 's3://x', $1, 1)`,
      ['0'.repeat(64)],
    );
    await ds.getRepository(BackupEntity).insert({
      id: 'nightly',
      type: 'config',
      trigger: 'schedule',
      status: 'completed',
      component: 'demo',
      createdAt: new Date(),
      completedAt: new Date(),
    });
    await ds.query(
      `INSERT INTO outbox_dead_letters (id, subject, event_id, aggregate, event, created_at, reason)
       VALUES (7001, 'evt.check.failed.v1', 'ev-discard', 'demo', '{}', now(), 'larger than max_payload')`,
    );
    const lock = await FleetLock.open(nats.nc, namespace, { holder: 'sched-wedged', leaseMs: 3000 });
    lease = (await lock.tryAcquire('rollout-x'))!;
  });
  afterAll(async () => {
    await lease?.release().catch(() => undefined);
    await app.close();
    for (const s of [
      `KV_${lockBucketName(namespace)}`,
      ...['EVENTS', 'COMMANDS', 'DEAD_LETTERS'].map((x) => nats.stream(x)),
    ])
      await nats.jsm.streams.delete(s).catch(() => undefined);
    await nats.onApplicationShutdown();
    await ds.destroy();
    await db.drop();
  });

  const records = () => ds.getRepository(AuditLogEntity).find({ order: { id: 'ASC' } });
  const ids: Record<string, string> = {};

  /** Every mutating route, in an order where each finds what it acts on; `expected` is the record's action. */
  const steps: Array<{ route: string; action: string; call: () => [string, string, unknown?]; status: number }> = [
    {
      route: 'put /v1/components/{name}',
      action: 'component.upsert',
      call: () => ['PUT', '/v1/components/demo', { sourceType: 'npm', sourceConfig: { package: 'demo' } }],
      status: 200,
    },
    {
      route: 'post /v1/checks',
      action: 'check.run',
      call: () => ['POST', '/v1/checks', { component: 'demo' }],
      status: 200,
    },
    {
      route: 'post /v1/subscriptions',
      action: 'subscription.create',
      call: () => [
        'POST',
        '/v1/subscriptions',
        { name: 'ops', channel: 'webhook', target: { url: 'http://127.0.0.1:9/hook' }, eventTypes: ['*'] },
      ],
      status: 201,
    },
    {
      route: 'patch /v1/subscriptions/{id}',
      action: 'subscription.update',
      call: () => ['PATCH', `/v1/subscriptions/${ids.subscription}`, { enabled: false }],
      status: 200,
    },
    {
      route: 'delete /v1/subscriptions/{id}',
      action: 'subscription.delete',
      call: () => ['DELETE', `/v1/subscriptions/${ids.subscription}`],
      status: 204,
    },
    {
      route: 'post /v1/dead-letters/replay',
      action: 'dead-letter.replay',
      call: () => ['POST', '/v1/dead-letters/replay', {}],
      status: 200,
    },
    {
      route: 'post /v1/dead-letters/discard',
      action: 'dead-letter.discard',
      call: () => ['POST', '/v1/dead-letters/discard', { outboxId: '7001' }],
      status: 200,
    },
    {
      route: 'post /v1/dead-letters/redrive',
      action: 'dead-letter.redrive',
      call: () => ['POST', '/v1/dead-letters/redrive', {}],
      status: 200,
    },
    {
      route: 'post /v1/secrets/rotate',
      action: 'secrets.rotate',
      call: () => ['POST', '/v1/secrets/rotate'],
      status: 200,
    },
    {
      route: 'post /v1/rollouts',
      action: 'rollout.create',
      call: () => ['POST', '/v1/rollouts', { component: 'demo', version: '1.1.0' }],
      status: 201,
    },
    {
      route: 'post /v1/rollouts/{id}/pause',
      action: 'rollout.pause',
      call: () => ['POST', `/v1/rollouts/${ids.rollout}/pause`],
      status: 200,
    },
    {
      route: 'post /v1/rollouts/{id}/resume',
      action: 'rollout.resume',
      call: () => ['POST', `/v1/rollouts/${ids.rollout}/resume`],
      status: 200,
    },
    {
      route: 'post /v1/rollouts/{id}/abort',
      action: 'rollout.abort',
      call: () => ['POST', `/v1/rollouts/${ids.rollout}/abort`],
      status: 200,
    },
    {
      route: 'post /v1/rollbacks',
      action: 'rollback.create',
      call: () => ['POST', '/v1/rollbacks', { rolloutId: ids.rollout }],
      status: 201,
    },
    {
      route: 'post /v1/locks/{key}/release',
      action: 'lock.release',
      call: () => ['POST', '/v1/locks/cluster/release', { token: lease.token, reason: 'wedged', confirm: true }],
      status: 200,
    },
    {
      route: 'delete /v1/nodes/{id}',
      action: 'node.removed',
      call: () => ['DELETE', '/v1/nodes/n3'],
      status: 200,
    },
    {
      route: 'post /v1/backups',
      action: 'backup.create',
      call: () => ['POST', '/v1/backups', { name: 'b-new' }],
      status: 202,
    },
    {
      route: 'post /v1/backups/prune',
      action: 'backup.prune',
      call: () => ['POST', '/v1/backups/prune', { dryRun: true }],
      status: 202,
    },
    {
      route: 'post /v1/backups/{id}/verify',
      action: 'backup.verify',
      call: () => ['POST', '/v1/backups/nightly/verify'],
      status: 202,
    },
    {
      route: 'post /v1/backups/{id}/restore',
      action: 'backup.restore',
      call: () => ['POST', '/v1/backups/nightly/restore', { what: 'config', to: '/tmp/restore-here', confirm: true }],
      status: 202,
    },
    {
      route: 'post /v1/tokens',
      action: 'token.create',
      call: () => ['POST', '/v1/tokens', { name: 'ci-reader', role: 'viewer', expires: '30d' }],
      status: 201,
    },
    {
      route: 'delete /v1/tokens/{id}',
      action: 'token.revoke',
      call: () => ['DELETE', `/v1/tokens/${ids.token}`],
      status: 200,
    },
    {
      route: 'put /v1/settings/{key}',
      action: 'settings.set',
      call: () => ['PUT', '/v1/settings/update.evaluation_interval', { value: '1m' }],
      status: 200,
    },
    {
      route: 'delete /v1/settings/{key}',
      action: 'settings.reset',
      call: () => ['DELETE', '/v1/settings/update.evaluation_interval'],
      status: 200,
    },
    {
      route: 'put /v1/policy',
      action: 'policy.apply',
      call: () => [
        'PUT',
        '/v1/policy',
        { document: { ...DEFAULT_POLICY_FILE, defaults: { ...DEFAULT_POLICY_FILE.defaults, channel: 'beta' } } },
      ],
      status: 200,
    },
    {
      route: 'patch /v1/policy',
      action: 'policy.set',
      call: () => ['PATCH', '/v1/policy', { path: 'defaults.classes.security', value: 'immediate' }],
      status: 200,
    },
    {
      route: 'post /v1/updates/{component}/{version}/approve',
      action: 'update.approve',
      call: () => ['POST', '/v1/updates/demo/2.0.0/approve', {}],
      status: 200,
    },
    {
      route: 'post /v1/updates/{component}/{version}/reject',
      action: 'update.reject',
      call: () => ['POST', '/v1/updates/demo/2.0.0/reject', { reason: 'changed our mind' }],
      status: 200,
    },
    {
      route: 'post /v1/holds',
      action: 'hold.create',
      call: () => ['POST', '/v1/holds', { component: 'demo', reason: 'freeze' }],
      status: 201,
    },
    {
      route: 'delete /v1/holds/{component}',
      action: 'hold.release',
      call: () => ['DELETE', '/v1/holds/demo'],
      status: 200,
    },
    ...(['schedule', 'window'] as const).flatMap((kind) => {
      const path = `/v1/${kind}s`;
      const body =
        kind === 'schedule'
          ? { name: 'nightly', type: 'daily', time: '03:00', timezone: 'UTC' }
          : { name: 'nightly', start: { time: '22:00' }, duration: '4h', timezone: 'UTC' };
      return [
        { route: `post ${path}`, action: `${kind}.create`, call: () => ['POST', path, body], status: 201 },
        {
          route: `patch ${path}/{name}`,
          action: `${kind}.disable`,
          call: () => ['PATCH', `${path}/nightly`, { enabled: false }],
          status: 200,
        },
        {
          route: `delete ${path}/{name}`,
          action: `${kind}.delete`,
          call: () => ['DELETE', `${path}/nightly`],
          status: 200,
        },
      ] as Array<{ route: string; action: string; call: () => [string, string, unknown?]; status: number }>;
    }),
  ];

  it('covers every mutating route the API documents', () => {
    const mutating = ROUTES.filter((r) => r.method !== 'get').map((r) => `${r.method} ${r.path}`);

    expect(steps.map((s) => s.route).sort()).toEqual(mutating.sort());
  });

  it('writes exactly one record per mutating request, naming the token, then verifies; an edit and a removal are named', async () => {
    for (const step of steps) {
      const before = (await records()).length;
      const [method, path, body] = step.call();

      const res = await app.call(method, path, body);
      if (step.action === 'subscription.create') {
        ids.subscription = res.body.subscription.id;
        ids.secret = res.body.generatedSecret;
      }
      if (step.action === 'token.create') ids.token = res.body.id;
      if (step.action === 'rollout.create') {
        ids.rollout = res.body.rolloutId;
        // The rollout left its nodes at 1.1.0, so a rollback has something to undo.
        await ds
          .getRepository(RolloutNodeEntity)
          .update({ rolloutId: ids.rollout }, { status: 'succeeded', fromVersion: '1.0.0' });
      }
      const after = await records();

      expect({ route: step.route, status: res.status }).toEqual({ route: step.route, status: step.status });
      expect({
        route: step.route,
        added: after.slice(before).map((a) => [a.action, a.actorId, a.actorName, a.role]),
      }).toEqual({
        route: step.route,
        added: [[step.action, tokenId(app.ownerToken), 'test-owner', 'owner']],
      });
    }
    const all = await records();

    const intact = await app.call('GET', '/v1/audit/verify');
    const edited = all[5];
    await withPgClient(db.url, async (c) => {
      await c.query('SET session_replication_role = replica');
      await c.query(`UPDATE audit_log SET params = '{"forged":true}' WHERE id = $1`, [edited.id]);
    });
    const afterEdit = await app.call('GET', '/v1/audit/verify');
    await withPgClient(db.url, async (c) => {
      await c.query('SET session_replication_role = replica');
      await c.query(`UPDATE audit_log SET params = $2 WHERE id = $1`, [edited.id, JSON.stringify(edited.params)]);
      await c.query(`DELETE FROM audit_log WHERE id = $1`, [all[2].id]);
    });
    const afterDelete = await app.call('GET', '/v1/audit/verify');

    expect(ids.secret).toMatch(/^whsec_/);
    expect(JSON.stringify(all)).not.toContain(ids.secret.slice('whsec_'.length));
    expect(intact.body).toMatchObject({ ok: true, records: all.length });
    expect(afterEdit.body).toMatchObject({ ok: false, firstBad: { id: edited.id, fault: 'altered' } });
    expect(afterDelete.body).toMatchObject({ ok: false, firstBad: { id: all[2].id, fault: 'removed' } });
  });
});
