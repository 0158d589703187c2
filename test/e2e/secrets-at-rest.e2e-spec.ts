import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import {
  Queries,
  Subjects,
  systemActor,
  type QueryReply,
  type SecretsRotateReplyV1,
  type SubscriptionUpsertReplyV1,
} from '@lockstep/contracts';
import {
  releasePayload,
  startHttpReceiver,
  startService,
  waitFor,
  type HttpReceiver,
  type ReceivedRequest,
  type ServiceProcess,
} from '@lockstep/testing';
import { createTestDeployment, type TestDeployment } from '../support/control-plane';

const NOTIFIER_ENV = {
  NOTIFIER_ALLOWED_DESTINATIONS: 'loopback',
  NOTIFIER_POLL_INTERVAL: '100ms',
  NOTIFIER_RETRY_SCHEDULE: '300ms,600ms',
  LOG_LEVEL: 'trace',
};

/**
 * Acceptance: secrets at rest. Webhook signing secrets and Slack/Discord URL tokens never
 * appear in any column of any table, in any log line, or in any API answer; after a key
 * rotation every delivery still verifies at the receiver.
 */
describe('secrets at rest (processes, real NATS/Postgres/HTTP)', () => {
  let dep: TestDeployment;
  const procs: ServiceProcess[] = [];
  const receivers: HttpReceiver[] = [];
  const answers: string[] = [];

  const start = async (name: string, env: Record<string, string> = {}) => {
    const p = await startService(name, { ...dep.envFor(name), LOG_LEVEL: 'trace', ...env });
    procs.push(p);
    return p;
  };
  const receiver = async () => {
    const r = await startHttpReceiver();
    receivers.push(r);
    return r;
  };
  const http = async <T>(api: ServiceProcess, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${api.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    answers.push(text);
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  /** Every row of every table of the deployment's database, as text. */
  const everyRow = async (): Promise<string> => {
    const { rows: tables } = await dep.pg.query<{ name: string }>(
      `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name
         FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
          AND table_type = 'BASE TABLE'`,
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      const { rows } = await dep.pg.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${name} t`);
      parts.push(...rows.map((r) => r.row));
    }
    return parts.join('\n');
  };
  const verifyWebhook = (secret: string, req: ReceivedRequest) =>
    new Webhook(secret).verify(req.body, {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    }) as { id: string };

  beforeEach(async () => {
    dep = await createTestDeployment();
    await dep.pg.connect();
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGTERM')));
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
    await dep.close();
  });

  it('keeps every secret out of tables, logs and API answers, and deliveries verify after secrets rotate', async () => {
    const signingSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const slackToken = `slackTok${randomBytes(12).toString('hex')}`;
    const discordToken = `discordTok${randomBytes(12).toString('hex')}`;
    const secrets = [signingSecret.slice('whsec_'.length), slackToken, discordToken];
    const firstKey = dep.env.LOCKSTEP_SECRET_KEY;
    const api = await start('api');
    let notifier = await start('notifier', NOTIFIER_ENV);
    const hook = await receiver();
    const slack = await receiver();
    const discord = await receiver();

    const created = [
      await http<SubscriptionUpsertReplyV1>(api, 'POST', '/v1/subscriptions', {
        name: 'hook',
        channel: 'webhook',
        target: { url: `${hook.url}/hooks/lockstep`, secrets: [signingSecret] },
      }),
      await http<SubscriptionUpsertReplyV1>(api, 'POST', '/v1/subscriptions', {
        name: 'slack',
        channel: 'slack',
        target: { url: `${slack.url}/services/T0ACME/B0ACME/${slackToken}` },
      }),
      await http<SubscriptionUpsertReplyV1>(api, 'POST', '/v1/subscriptions', {
        name: 'discord',
        channel: 'discord',
        target: { url: `${discord.url}/api/v10/webhooks/123456789/${discordToken}` },
      }),
    ];
    await http(api, 'GET', '/v1/subscriptions');
    const firstEvent = await dep.publish(Subjects.ReleaseAvailable, releasePayload({ version: '1.1.0' }), 'demo');
    const [first] = await hook.waitForRequests(1);
    await slack.waitForRequests(1);
    await discord.waitForRequests(1);
    await http(api, 'GET', '/v1/deliveries');

    expect(verifyWebhook(signingSecret, first).id).toBe(firstEvent);
    expect(created.map((c) => c.subscription.secretCount)).toEqual([1, 0, 0]);
    const rowsBefore = await everyRow();
    for (const secret of secrets) expect(rowsBefore).not.toContain(secret);

    // rotation: the new key comes in, the old one stays readable until every row is re-sealed
    const secondKey = randomBytes(32).toString('base64');
    await notifier.kill('SIGTERM');
    notifier = await start('notifier', {
      ...NOTIFIER_ENV,
      LOCKSTEP_SECRET_KEY: secondKey,
      LOCKSTEP_SECRET_KEY_PREVIOUS: firstKey,
    });
    const rotated = await http<SecretsRotateReplyV1>(api, 'POST', '/v1/secrets/rotate', {});
    const { rows: keyIds } = await dep.pg.query<{ key_id: string }>(
      `SELECT DISTINCT split_part(target_sealed, ':', 2) AS key_id FROM subscriptions`,
    );
    // only the new key from here on, read from a file as a Docker or Kubernetes secret would be
    await notifier.kill('SIGTERM');
    const keyFile = join(await mkdtemp(join(tmpdir(), 'lockstep-key-')), 'secret-key');
    await writeFile(keyFile, `${secondKey}\n`, { mode: 0o600 });
    await start('notifier', { ...NOTIFIER_ENV, LOCKSTEP_SECRET_KEY: '', LOCKSTEP_SECRET_KEY_FILE: keyFile });
    const secondEvent = await dep.publish(Subjects.ReleaseAvailable, releasePayload({ version: '1.2.0' }), 'demo');
    const [, second] = await hook.waitForRequests(2);
    await slack.waitForRequests(2);
    await discord.waitForRequests(2);
    const delivered = await waitFor(
      async () => {
        const { rows } = await dep.pg.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM deliveries WHERE status = 'delivered'`,
        );
        return rows[0].n === 6 ? rows[0].n : undefined;
      },
      { what: 'six deliveries recorded as delivered' },
    );

    expect(rotated).toEqual({ keyId: rotated.keyId, resealed: 3, remaining: 0, problems: [] });
    expect(keyIds).toEqual([{ key_id: rotated.keyId }]);
    expect(verifyWebhook(signingSecret, second).id).toBe(secondEvent);
    expect(delivered).toBe(6);
    const rowsAfter = await everyRow();
    const logs = procs.map((p) => p.output()).join('\n');
    for (const secret of secrets) {
      expect(rowsAfter).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(answers.join('\n')).not.toContain(secret);
    }
    expect(logs).toContain('notifier');
  });

  it('stops a notifier that finds sealed secrets but has no key, saying what to set', async () => {
    await start('notifier', NOTIFIER_ENV);
    const hook = await receiver();
    const reply = await dep.queries.send<QueryReply<SubscriptionUpsertReplyV1>>(Queries.SubscriptionUpsert, {
      name: 'hook',
      channel: 'webhook',
      target: { url: `${hook.url}/hook` },
      actor: systemActor('secrets-e2e'),
    });
    expect(reply.ok).toBe(true);
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGTERM')));

    const keyless = start('notifier', { ...NOTIFIER_ENV, LOCKSTEP_SECRET_KEY: '' });

    await expect(keyless).rejects.toThrow(/exited before it was ready/);
    await expect(keyless).rejects.toThrow(/LOCKSTEP_SECRET_KEY is not set: set LOCKSTEP_SECRET_KEY/);
  });
});
