import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Webhook } from 'standardwebhooks';
import type { ComponentView, DeliveryView, SubscriptionUpsertReplyV1 } from '@lockstep/contracts';
import {
  startHttpReceiver,
  startS3Server,
  startService,
  uniqueName,
  waitFor,
  type HttpReceiver,
  type S3ServerHandle,
  type ServiceProcess,
} from '@lockstep/testing';
import { jsonOf, runCli } from '@lockstep/testing';
import { createTestDeployment, s3Env, type TestDeployment } from '../support/control-plane';

describe('api + lockstep CLI (processes, real NATS/Postgres/S3)', () => {
  let s3: S3ServerHandle;
  let dep: TestDeployment;
  let bucket: string;
  let work: string;
  const procs: ServiceProcess[] = [];
  const receivers: HttpReceiver[] = [];

  const start = async (name: string, env: Record<string, string> = {}) => {
    const p = await startService(name, { ...dep.envFor(name), ...env });
    procs.push(p);
    return p;
  };
  const startPlane = (notifierEnv: Record<string, string>) =>
    Promise.all([
      start('api'),
      start('notifier', { NOTIFIER_POLL_INTERVAL: '100ms', NOTIFIER_RETRY_SCHEDULE: '300ms,600ms', ...notifierEnv }),
      start('checker', { ...s3Env(s3, bucket), CHECKER_CHECK_ON_START: 'false', CHECKER_INTERVAL: '1h' }),
    ]);
  const cliEnv = (api: ServiceProcess) => ({
    ...s3Env(s3, bucket),
    LOCKSTEP_API_URL: api.url,
    LOCKSTEP_TOKEN: api.token!,
    LOCKSTEP_KEYS_DIR: work,
    LOCKSTEP_KEYS_PASSPHRASE: 'e2e passphrase, long enough',
  });
  const artifact = async (version: string) => {
    const path = join(work, `demo-${version}.tar.gz`);
    await writeFile(path, gzipSync(Buffer.from(`demo ${version}\n`.repeat(100))));
    return path;
  };

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(() => s3.stop(true));
  beforeEach(async () => {
    dep = await createTestDeployment();
    bucket = uniqueName('b');
    work = await mkdtemp(join(tmpdir(), 'lockstep-cli-'));
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGTERM')));
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
    await dep.close();
    await rm(work, { recursive: true, force: true });
  });

  it('keys → publish → register → subscribe → publish again: the webhook gets release.available and `deliveries` shows it', async () => {
    const [api] = await startPlane({ NOTIFIER_ALLOWED_DESTINATIONS: 'loopback' });
    const receiver = await startHttpReceiver();
    receivers.push(receiver);
    const env = cliEnv(api);
    const cli = (...args: string[]) => runCli(args, env);

    const keys = await cli('keys', 'init', '--out', work);
    const again = await cli('keys', 'init', '--out', work);
    const first = await cli(
      'release',
      'publish',
      await artifact('1.0.0'),
      '--component',
      'demo',
      '--version',
      '1.0.0',
      '--channel',
      'stable',
    );
    const [root, rootJsonRun] = await Promise.all([
      cli('release', 'root', '--component', 'demo'),
      cli('release', 'root', '--component', 'demo', '--json'),
    ]);
    await writeFile(join(work, 'root.json'), root.stdout);
    const added = await cli(
      'components',
      'add',
      'demo',
      '--source',
      'tuf',
      '--current',
      '1.0.0',
      '--trusted-root',
      join(work, 'root.json'),
      '--json',
    );
    const sub = await cli(
      'subscriptions',
      'add',
      '--channel',
      'webhook',
      '--url',
      `${receiver.url}/hook`,
      '--events',
      'release.available',
      '--json',
    );
    const second = await cli(
      'release',
      'publish',
      await artifact('1.1.0'),
      '--component',
      'demo',
      '--version',
      '1.1.0',
      '--channel',
      'stable',
      '--security',
      '--json',
    );
    const [req] = await receiver.waitForRequests(1, 15_000);
    const deliveries: DeliveryView[] = await waitFor(
      async () => {
        const items = jsonOf<DeliveryView[]>(await cli('deliveries', '--json'));
        return items[0]?.status === 'delivered' ? items : undefined;
      },
      { what: 'the delivery recorded as delivered', timeoutMs: 10_000, intervalMs: 200 },
    ).then((items) => items!);
    const [text, subs, compsRun] = await Promise.all([
      cli('deliveries'),
      cli('subscriptions', '--json'),
      cli('components', '--json'),
    ]);

    expect(keys).toMatchObject({ code: 0, stdout: expect.stringContaining('lockstep-tuf-keys.json') });
    expect(keys.stdout).not.toMatch(/PRIVATE KEY/);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/published demo 1\.0\.0[\s\S]*sha256:\s+[0-9a-f]{64}/);
    expect(first.stderr).toMatch(/warning: .*not registered/);
    expect(added.code).toBe(0);
    const { generatedSecret, subscription } = jsonOf<SubscriptionUpsertReplyV1>(sub);
    expect(generatedSecret).toMatch(/^whsec_/);
    expect(jsonOf<{ check: { announced: string[] } }>(second).check.announced).toEqual(['1.1.0']);
    const event = new Webhook(generatedSecret!).verify(req.body, {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    }) as { type: string; data: { version: string; security: boolean } };
    expect(event).toMatchObject({
      type: 'io.lockstep.release.available.v1',
      data: { version: '1.1.0', security: true },
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      status: 'delivered',
      eventName: 'release.available',
      eventSubject: 'demo',
      attemptCount: 1,
      attempts: [{ statusCode: 200, outcome: 'delivered' }],
    });
    expect(text.stdout).toMatch(/delivered\s+release\.available\s+demo/);
    expect(text.stdout).toMatch(/#1 .* 200 /);
    expect(subs.stdout).toContain(subscription.id);
    expect(subs.stdout).not.toContain(generatedSecret);
    const comps = jsonOf<ComponentView[]>(compsRun);
    const rootJson = jsonOf<{ sha256: string }>(rootJsonRun);
    const rootSha256 = createHash('sha256')
      .update(await readFile(join(work, 'root.json')))
      .digest('hex');
    expect(comps[0].source).toEqual({ mode: 's3', trustedRootSha256: rootSha256 });
    // no agent runs here: the API read the node directory and found no node running demo
    expect(comps[0]).toMatchObject({ currentVersion: '1.0.0', fleet: { nodes: 0, lost: 0, versions: [] } });
    expect(rootJson.sha256).toBe(rootSha256);
    expect(JSON.stringify(comps)).not.toContain('"signatures"');
  });

  it('explains bad input: unknown channel, a version outside the scheme, a refused loopback URL, an absent notifier', async () => {
    const [api, notifier] = await startPlane({ NOTIFIER_ALLOWED_DESTINATIONS: '' });
    const env = cliEnv(api);
    const cli = (...args: string[]) => runCli(args, env);
    const file = await artifact('1.0');

    const [channel, semver, loopback, viaHttp] = await Promise.all([
      cli('subscriptions', 'add', '--channel', 'teams', '--url', 'https://example.com/hook'),
      cli(
        'release',
        'publish',
        file,
        '--component',
        'demo',
        '--version',
        '1.0',
        '--channel',
        'stable',
        '--keys',
        join(work, 'missing.json'),
      ),
      cli('subscriptions', 'add', '--channel', 'webhook', '--url', 'http://127.0.0.1:9/hook'),
      fetch(`${api.url}/v1/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
        body: JSON.stringify({ name: 'x', channel: 'webhook', target: { url: 'https://example.com' }, events: ['*'] }),
      }),
    ]);
    await notifier.kill('SIGTERM');
    const absent = await cli(
      'subscriptions',
      'add',
      '--channel',
      'webhook',
      '--url',
      'https://example.com/hook',
      '--json',
    );

    expect(channel.code).toBe(2);
    expect(channel.stderr).toMatch(/Allowed choices are webhook, slack, discord/);
    expect(semver.code).toBe(2);
    expect(semver.stderr).toMatch(/"1\.0" is not a valid semver version; expected/);
    expect(loopback.code).toBe(1);
    expect(loopback.stderr).toMatch(/loopback/i);
    expect(viaHttp.status).toBe(400);
    expect(viaHttp.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await viaHttp.json()).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      detail: expect.stringContaining('unknown field "events"'),
    });
    expect(absent.code).toBe(1);
    expect(JSON.parse(absent.stderr)).toEqual({
      error: {
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringContaining('the notifier is not running or not reachable over NATS'),
      },
    });
  });

  it('refuses a request without a token (401) or with too small a role (403), and the CLI says what to do', async () => {
    const api = await start('api');
    const owner = { ...cliEnv(api), XDG_CONFIG_HOME: work };
    const anonymous = { ...owner, LOCKSTEP_TOKEN: '' };

    const viewer = JSON.parse(
      (await runCli(['tokens', 'create', '--name', 'watcher', '--role', 'viewer', '--json'], owner)).stdout,
    ) as { token: string };
    const [none, weak, read, unauthenticated] = await Promise.all([
      runCli(['nodes'], anonymous),
      runCli(['check', 'demo'], { ...anonymous, LOCKSTEP_TOKEN: viewer.token }),
      runCli(['tokens', 'list'], { ...anonymous, LOCKSTEP_TOKEN: viewer.token }),
      fetch(`${api.url}/v1/tokens`),
    ]);

    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/needs an API token.*lockstep login/);
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/needs the operator role; token \w+ \(watcher\) has viewer/);
    expect(read.stderr).toMatch(/needs the owner role/);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await unauthenticated.json()).toMatchObject({ status: 401, code: 'TOKEN_MISSING' });
  });
});
