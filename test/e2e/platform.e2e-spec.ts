import { FleetLock } from '@lockstep/fleet-lock';
import { ensureFleetTopology } from '@lockstep/messaging';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  repoRoot,
  startS3Server,
  testPgAdminUrl,
  startService,
  uniqueName,
  type S3ServerHandle,
} from '@lockstep/testing';
import { createTestDeployment, s3Env, type TestDeployment } from '../support/control-plane';

const SERVICES = ['checker', 'installer', 'backup', 'scheduler', 'notifier', 'api'] as const;

describe('every service (processes)', () => {
  let dep: TestDeployment;
  let s3: S3ServerHandle;

  beforeAll(async () => {
    dep = await createTestDeployment({ securedNodes: ['boot-test'] });
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await dep.close();
    await s3.stop(true);
  });

  /** The node agent needs to know its node and app; the control-plane services need nothing more. */
  const extraEnv = (name: string): Record<string, string> =>
    name === 'installer'
      ? {
          NODE_ID: 'boot-test',
          AGENT_DIR: mkdtempSync(join(tmpdir(), 'lockstep-agent-')),
          AGENT_COMPONENT: 'demo',
          AGENT_SUPERVISE_COMMAND: 'node server.js',
          APP_PORT: '1',
          AGENT_MIN_FREE_DISK: '1MiB',
        }
      : {};

  it.each(SERVICES)('%s boots, is ready, serves /metrics and drains on SIGTERM', async (name) => {
    // A node agent may not create streams, buckets or its consumer: the control plane has them ready.
    if (name === 'installer') {
      await ensureFleetTopology(dep.nc, dep.namespace, { nodeIds: ['boot-test'] });
      await FleetLock.open(dep.nc, dep.namespace, { holder: 'e2e-control-plane' });
    }
    const svc = await startService(name, {
      ...dep.envFor(name === 'installer' ? 'agent-boot-test' : name),
      ...s3Env(s3, uniqueName('b')),
      ...extraEnv(name),
    });

    const health = await fetch(`${svc.url}/healthz`);
    const ready = await fetch(`${svc.url}/readyz`).then((r) => r.json());
    const metrics = await fetch(`${svc.url}/metrics`).then((r) => r.text());
    const code = await svc.kill('SIGTERM');

    expect(health.status).toBe(200);
    // The node agent needs no database; every control-plane service does.
    expect(ready).toMatchObject({
      status: 'ready',
      checks: name === 'installer' ? { nats: 'ok' } : { nats: 'ok', postgres: 'ok' },
    });
    expect(metrics).toMatch(/process_cpu_user_seconds_total/);
    expect(code).toBe(0);
  });

  it.each([
    [
      'notifier',
      { NOTIFIER_RETRY_SCHEDULE: '5s,soon' },
      /NOTIFIER_RETRY_SCHEDULE: expected a comma-separated list of durations/,
    ],
    ['checker', { NATS_URL: 'http://127.0.0.1:4222' }, /NATS_URL: expected a comma-separated list of nats:\/\//],
    ['checker', { CHECKER_INTERVAL: '30d' }, /CHECKER_INTERVAL: expected a duration from 1s to 24d/],
    ['scheduler', { SCHEDULER_LOCK_LEASE: '400ms' }, /SCHEDULER_LOCK_LEASE: expected a duration from 1s to 10m/],
    ['scheduler', { HTTP_PORT: 'eighty' }, /HTTP_PORT: expected a TCP port/],
    [
      'backup',
      { S3_ACCESS_KEY: 'minioadmin', S3_SECRET_KEY: 'minioadmin' },
      /S3_ACCESS_KEY, S3_SECRET_KEY: these are well-known default credentials/,
    ],
    ['notifier', { LOCKSTEP_SECRET_KEY: 'hunter2' }, /LOCKSTEP_SECRET_KEY: expected 32 random bytes/],
  ])('%s stops at once on a bad setting and names it', (name, env, message) => {
    const run = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'services', name, 'src', 'main.js')], {
      env: { ...process.env, ...dep.env, ...env },
      encoding: 'utf8',
      timeout: 20000,
    });

    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(message);
  });

  it('reports not ready when Postgres does not answer', async () => {
    const svc = await startService('scheduler', dep.envFor('scheduler'));
    const admin = new Client({ connectionString: testPgAdminUrl() });
    await admin.connect();

    await admin.query(`ALTER DATABASE "${dep.db.name}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [dep.db.name]);
    const res = await fetch(`${svc.url}/readyz`);
    const body = await res.json();
    await admin.query(`ALTER DATABASE "${dep.db.name}" ALLOW_CONNECTIONS true`);
    await admin.end();
    await svc.kill('SIGKILL');

    expect(res.status).toBe(503);
    expect(body).toMatchObject({ status: 'not_ready', checks: { postgres: 'down', nats: 'ok' } });
  });
});
