/**
 * `npm run demo`: the product end to end on this machine. Starts an S3 server and a NATS
 * server with generated least-privilege users on loopback (Postgres and nats-server are
 * installed and started by deploy/scripts/ensure-infra.sh), runs the control-plane
 * services and three node agents (each supervising the demo app on its own port) as
 * processes with a fresh database and NATS namespace, publishes releases with the CLI, shows
 * the events arriving at a local webhook receiver (signatures verified with
 * standardwebhooks) and a local Slack-format receiver, rolls the fleet to a new release,
 * then lets a broken release fail on the canary and roll back, and shows the pre-update
 * backups every node took and a verified restore; then a node dies for good: announced as
 * node.lost, left out of the next whole-fleet rollout (saying why), removed with `lockstep nodes
 * rm`, and the component's version follows what the rest run. Exits 0 when all of it worked.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinioObjectStore } from '@lockstep/storage';
import { connect } from '@nats-io/transport-node';
import { ONLINE_KEY_FILE_NAME, tamperArtifactByte } from '@lockstep/releases';
import {
  buildDemoArtifact,
  createTestDatabase,
  freePort,
  jsonOf,
  withPgClient,
  runCli,
  startHttpReceiver,
  startS3Server,
  startNatsServer,
  startService,
  uniqueName,
  type ServiceProcess,
} from '@lockstep/testing';
import { automaticUpdateStep } from './demo-automatic';
import { lostNodeStep } from './demo-lost-node';
import { DemoWebhookReceiver, readSlackMessage } from './demo-receivers';

const SERVICES = ['checker', 'notifier', 'api', 'scheduler', 'backup'] as const;
const NODES = ['node-1', 'node-2', 'node-3'] as const;
const STEPS = 15;
const step = (n: number, text: string) => console.log(`\n[${n}/${STEPS}] ${text}`);
const ok = (text: string) => console.log(`   ✓ ${text}`);
const fail = (text: string): never => {
  throw new Error(text);
};

async function main(): Promise<void> {
  const started = Date.now();
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    step(1, 'Infrastructure');
    const s3 = await startS3Server();
    cleanup.push(() => s3.stop(true));
    const db = await createTestDatabase('lockstep_demo');
    cleanup.push(() => db.drop());
    const namespace = uniqueName('demo');
    const bucket = uniqueName('demo-');
    // NATS with least-privilege users: `lockstep nats config` makes one NKey user per service
    // and per node (an agent may consume only its own commands, publish only its own events
    // and write only its own node record); the server knows only their public keys.
    const natsDir = await mkdtemp(join(tmpdir(), 'lockstep-demo-nats-'));
    cleanup.push(() => rm(natsDir, { recursive: true, force: true }));
    const natsConfig = await runCli(
      ['nats', 'config', '--namespace', namespace, '--nodes', NODES.join(','), '--out', natsDir],
      { XDG_CONFIG_HOME: join(natsDir, 'config') },
    );
    if (natsConfig.code !== 0)
      fail(`lockstep nats config exited ${natsConfig.code}: ${natsConfig.stderr || natsConfig.stdout}`);
    const nats = await startNatsServer({
      config: 'include "auth.conf"',
      files: { 'auth.conf': await readFile(join(natsDir, 'auth.conf'), 'utf8') },
    });
    cleanup.push(() => nats.stop());
    const stranger = await connect({ servers: nats.url, reconnect: false }).then(
      async (nc) => (await nc.close(), 'accepted'),
      (err: Error) => err.message,
    );
    if (stranger === 'accepted') fail('the NATS server accepted a client without credentials');
    const natsEnv = (identity: string) => ({
      NATS_URL: nats.url,
      NATS_NKEY_SEED_FILE: join(natsDir, `${identity}.nk`),
    });
    ok(
      `NATS with JetStream at ${nats.url} (namespace ${namespace}); lockstep nats config: one NKey user per service and per node, each allowed only its own subjects; anonymous clients refused (${stranger})`,
    );
    ok(`PostgreSQL database ${db.name}`);
    ok(`S3-protocol server (s3rver) at ${s3.endpoint}, bucket ${bucket}`);
    // What the backup service itself backs up: an app database and a data directory.
    const shop = await createTestDatabase('lockstep_demo_shop');
    cleanup.push(() => shop.drop());
    await withPgClient(shop.url, (c) =>
      c.query(
        `CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL, qty int NOT NULL); INSERT INTO orders (item, qty) SELECT 'item-' || g, g % 7 + 1 FROM generate_series(1, 500) g`,
      ),
    );
    const shopData = await mkdtemp(join(tmpdir(), 'lockstep-demo-shop-'));
    cleanup.push(() => rm(shopData, { recursive: true, force: true }));
    await writeFile(
      join(shopData, 'invoices.csv'),
      Array.from({ length: 2000 }, (_, i) => `${i},customer-${i % 97},${(i * 37) % 1000}.00`).join('\n'),
    );
    ok(`app database ${shop.name} (500 orders) and data directory ${shopData} for the backup service`);

    step(2, 'Keys, services');
    const s3env = {
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: bucket,
    };
    const env = {
      ...s3env,
      DATABASE_URL: db.url,
      NATS_NAMESPACE: namespace,
      LOG_LEVEL: 'warn',
      NOTIFIER_ALLOWED_DESTINATIONS: 'loopback',
      NOTIFIER_RETRY_SCHEDULE: '500ms,1s,2s,5s',
      // seals webhook secrets and Slack/Discord URLs in Postgres; a real install keeps its key in a file (LOCKSTEP_SECRET_KEY_FILE)
      LOCKSTEP_SECRET_KEY: randomBytes(32).toString('base64'),
      CHECKER_CHECK_ON_START: 'false',
      SCHEDULER_LOCK_LEASE: '5s',
      // a node silent this long is lost (step 12); 10s by default
      SCHEDULER_NODE_LOST_AFTER: '3s',
      BACKUP_BUCKET: `${bucket}-backups`,
      BACKUP_KEY: 'demo passphrase, keep it somewhere safe',
    };
    const backupTargets = {
      BACKUP_COMPONENT: 'shop',
      BACKUP_DATA_PATHS: shopData,
      BACKUP_DATABASE_URLS: shop.url,
      BACKUP_KEEP_LAST: '2',
    };
    const work = await mkdtemp(join(tmpdir(), 'lockstep-demo-'));
    cleanup.push(() => rm(work, { recursive: true, force: true }));
    // A fresh install's first owner token: the API writes it once to this file (mode 0600).
    const bootstrapTokenFile = join(work, 'bootstrap-token');
    const keysEnv = {
      LOCKSTEP_KEYS_DIR: work,
      // keys init encrypts the offline key file with this (a throwaway demo passphrase)
      LOCKSTEP_KEYS_PASSPHRASE: 'demo passphrase, not for production',
      XDG_CONFIG_HOME: join(work, 'config'),
    };
    // The keys come first: the checker starts with the online half, so it re-signs the
    // timestamp of every release published below (and marks them, so publishes sign a day-long one).
    const keysInit = await runCli(['keys', 'init', '--out', work], keysEnv);
    if (keysInit.code !== 0) fail(`lockstep keys init exited ${keysInit.code}: ${keysInit.stderr || keysInit.stdout}`);
    ok(
      'lockstep keys init: Ed25519 keys for root, targets, snapshot, timestamp (encrypted with a passphrase, kept on this machine); the online snapshot/timestamp keys in a file of their own for the checker',
    );
    const serviceEnv = (name: (typeof SERVICES)[number]) => ({
      ...env,
      ...natsEnv(name),
      ...(name === 'backup'
        ? backupTargets
        : name === 'api'
          ? { API_BOOTSTRAP_TOKEN_FILE: bootstrapTokenFile }
          : name === 'checker'
            ? { LOCKSTEP_TUF_ONLINE_KEYS_FILE: join(work, ONLINE_KEY_FILE_NAME) }
            : {}),
    });
    const procs: Record<string, ServiceProcess> = {};
    cleanup.push(() => Promise.all(Object.values(procs).map((p) => p.kill('SIGTERM'))));
    for (const name of SERVICES) {
      procs[name] = await startService(name, serviceEnv(name));
      ok(`${name.padEnd(9)} ready at ${procs[name].url} (/healthz, /readyz, /metrics)`);
    }

    step(3, 'Receivers');
    const webhook = await DemoWebhookReceiver.start();
    const slack = await startHttpReceiver();
    cleanup.push(
      () => webhook.http.stop(),
      () => slack.stop(),
    );
    ok(`webhook receiver at ${webhook.http.url}/hooks/lockstep (verifies Standard Webhooks signatures)`);
    ok(`Slack-format receiver at ${slack.url}/services/T000/B000/demo (checks Block Kit messages)`);

    const cliEnv = { ...s3env, ...keysEnv, LOCKSTEP_API_URL: procs.api.url };
    const cli = async (...args: string[]) => {
      const run = await runCli(args, cliEnv);
      if (run.code !== 0) fail(`lockstep ${args.join(' ')} exited ${run.code}: ${run.stderr || run.stdout}`);
      return run;
    };
    const artifact = async (version: string, options: { broken?: boolean } = {}) => {
      const file = join(work, `demo-${version}.tar.gz`);
      await writeFile(file, buildDemoArtifact(version, options));
      return file;
    };

    step(4, 'Tokens, the first release, the component');
    await cli('login', '--token-file', bootstrapTokenFile);
    ok(`lockstep login --token-file ${bootstrapTokenFile}: the owner token the API wrote at its first start`);
    const anonymous = await runCli(['check'], { ...cliEnv, XDG_CONFIG_HOME: join(work, 'nobody') });
    if (anonymous.code !== 1 || !/needs an API token/.test(anonymous.stderr))
      fail(`lockstep check without a token should be refused with 401: ${anonymous.stderr || anonymous.stdout}`);
    ok('lockstep check without a token: 401, nothing asked of the checker');
    const operator = JSON.parse(
      (await cli('tokens', 'create', '--name', 'demo-operator', '--role', 'operator', '--expires', '1d', '--json'))
        .stdout,
    ) as { id: string; token: string };
    ok(`lockstep tokens create --role operator: token ${operator.id} (lst_…, shown once, stored only as a hash)`);
    const tooWeak = await runCli(
      ['subscriptions', 'add', '--channel', 'webhook', '--url', 'http://127.0.0.1:9/hook', '--events', '*'],
      { ...cliEnv, LOCKSTEP_TOKEN: operator.token },
    );
    if (tooWeak.code !== 1 || !/needs the owner role/.test(tooWeak.stderr))
      fail(`an operator adding a webhook should be refused with 403: ${tooWeak.stderr || tooWeak.stdout}`);
    ok('the operator token adding a webhook: 403, subscriptions are for owners');
    await cli(
      'release',
      'publish',
      await artifact('1.0.0'),
      '--component',
      'demo',
      '--version',
      '1.0.0',
      '--channel',
      'stable',
      '--no-check',
    );
    ok('lockstep release publish demo 1.0.0: artifact uploaded, TUF metadata signed');
    const root = await cli('release', 'root', '--component', 'demo');
    await writeFile(join(work, 'root.json'), root.stdout);
    await cli(
      'components',
      'add',
      'demo',
      '--source',
      'tuf',
      '--current',
      '1.0.0',
      '--trusted-root',
      join(work, 'root.json'),
    );
    ok('lockstep components add demo: runs 1.0.0, root of trust pinned');
    ok('artifacts are the demo app (server.js, VERSION, config defaults, a migrate hook) packed as .tar.gz');

    step(5, 'Subscriptions');
    const sub = jsonOf<{ generatedSecret: string }>(
      await cli(
        'subscriptions',
        'add',
        '--channel',
        'webhook',
        '--url',
        `${webhook.http.url}/hooks/lockstep`,
        '--events',
        'release.*,check.failed,rollout.*',
        '--name',
        'ops webhook',
        '--json',
      ),
    );
    webhook.useSecret(sub.generatedSecret);
    ok('webhook for release.*, check.failed and rollout.* (signing secret generated, shown once)');
    await cli(
      'subscriptions',
      'add',
      '--channel',
      'slack',
      '--url',
      `${slack.url}/services/T000/B000/demo`,
      '--events',
      'release.available',
      '--name',
      '#deploys',
    );
    ok('Slack incoming webhook for release.available');

    step(6, 'Releases');
    const expect = async (label: string, webhookCount: number, slackCount: number) => {
      const hooks = await webhook.http.waitForRequests(webhookCount, 20_000);
      const msgs = await slack.waitForRequests(slackCount, 20_000);
      const ev = webhook.verify(hooks[webhookCount - 1]);
      if (!ev.verified) fail(`webhook ${ev.id} failed signature verification`);
      const d = ev.data as { component: string; version?: string; kind?: string; security?: boolean; code?: string };
      const what = ev.type.includes('check.failed')
        ? `check.failed ${d.component}: ${d.code}`
        : `release.available ${d.component} ${d.version} (${d.kind}${d.security ? ', security' : ''})`;
      ok(`${label} → webhook got ${what}, id ${ev.id}, signature verified`);
      if (slackCount > 0 && msgs.length >= slackCount) {
        const m = readSlackMessage(msgs[slackCount - 1]);
        if (!m.valid) fail('the Slack message is not valid Block Kit');
        ok(`${label} → Slack got "${m.header}" — ${m.fields.slice(0, 3).join(' | ')}`);
      }
    };
    await cli(
      'release',
      'publish',
      await artifact('1.1.0'),
      '--component',
      'demo',
      '--version',
      '1.1.0',
      '--channel',
      'stable',
    );
    await expect('publish demo 1.1.0', 1, 1);
    await cli(
      'release',
      'publish',
      await artifact('1.2.0'),
      '--component',
      'demo',
      '--version',
      '1.2.0',
      '--channel',
      'stable',
      '--security',
      '--no-check',
    );
    await cli('check', 'demo');
    await expect('publish demo 1.2.0 --security', 2, 2);

    step(7, 'A fleet of three nodes');
    const agents: Array<{ id: string; port: number }> = [];
    for (const id of NODES) {
      const port = await freePort();
      procs[id] = await startService('installer', {
        ...env,
        ...natsEnv(`agent-${id}`),
        NODE_ID: id,
        NODE_LABELS: id === 'node-1' ? 'group=canary' : 'group=web',
        AGENT_DIR: join(work, 'nodes', id),
        AGENT_COMPONENT: 'demo',
        AGENT_SUPERVISE_COMMAND: 'node server.js',
        APP_PORT: String(port),
        AGENT_TRUSTED_ROOT: join(work, 'root.json'),
        AGENT_HEARTBEAT: '1s',
        AGENT_MIN_FREE_DISK: '1MiB',
      });
      agents.push({ id, port });
      ok(`${id} agent ready (${id === 'node-1' ? 'group=canary' : 'group=web'}), demo app on 127.0.0.1:${port}`);
    }
    const appVersions = async () =>
      Promise.all(
        agents.map(async (a) => {
          try {
            const res = await fetch(`http://127.0.0.1:${a.port}/`, { signal: AbortSignal.timeout(1000) });
            return `${a.id}=${(await res.text()).match(/\d+\.\d+\.\d+/)?.[0] ?? '?'}`;
          } catch {
            return `${a.id}=down`;
          }
        }),
      );
    const rollout = ['--component', 'demo', '--min-healthy', '1s', '--healthy-deadline', '15s', '--wait'];
    await cli('upgrade', ...rollout, '--to', '1.0.0', '--max-parallel', '3');
    ok(`first install: lockstep upgrade --to 1.0.0 --max-parallel 3 --wait → ${(await appVersions()).join(' ')}`);

    step(8, 'Rolling update to 1.2.0, canary first');
    const plan = await cli(
      'upgrade',
      '--component',
      'demo',
      '--to',
      '1.2.0',
      '--canary',
      '1',
      '--max-parallel',
      '2',
      '--dry-run',
    );
    console.log(plan.stdout.trimEnd().replace(/^/gm, '   '));
    const good = await cli('upgrade', ...rollout, '--to', '1.2.0', '--canary', '1', '--max-parallel', '2');
    console.log(good.stdout.trimEnd().split('\n').slice(-4).join('\n').replace(/^/gm, '   '));
    const after = await appVersions();
    if (!after.every((v) => v.endsWith('=1.2.0'))) fail(`the fleet is not on 1.2.0: ${after.join(' ')}`);
    ok(`every node answers 1.2.0: ${after.join(' ')}`);

    step(9, 'A broken release: fails on the canary, rolled back, the rest untouched');
    await cli(
      'release',
      'publish',
      await artifact('1.4.0', { broken: true }),
      '--component',
      'demo',
      '--version',
      '1.4.0',
      '--channel',
      'stable',
    );
    ok('published demo 1.4.0 (its /health answers 500)');
    const broken = await runCli(
      ['upgrade', ...rollout, '--to', '1.4.0', '--canary', '1', '--max-parallel', '2'],
      cliEnv,
    );
    if (broken.code === 0) fail('the broken rollout was reported as a success');
    console.log(`${broken.stdout}${broken.stderr}`.trimEnd().split('\n').slice(-3).join('\n').replace(/^/gm, '   '));
    const kept = await appVersions();
    if (!kept.every((v) => v.endsWith('=1.2.0'))) fail(`nodes did not stay on 1.2.0: ${kept.join(' ')}`);
    ok(
      `lockstep upgrade exited ${broken.code}; the canary was rolled back and every node still answers 1.2.0: ${kept.join(' ')}`,
    );
    const rolloutEvents = webhook.http.requests
      .map((r) => webhook.verify(r))
      .filter((e) => e.type.includes('rollout.changed'))
      .sort((a, b) => a.time.localeCompare(b.time))
      .map((e) => (e.data as { state: string }).state);
    ok(`rollout events at the webhook, by event time: ${rolloutEvents.join(' → ')}`);
    console.log((await cli('nodes')).stdout.trimEnd().replace(/^/gm, '   '));

    step(10, 'A tampered release is refused');
    await cli(
      'release',
      'publish',
      await artifact('1.3.0'),
      '--component',
      'demo',
      '--version',
      '1.3.0',
      '--channel',
      'stable',
      '--no-check',
    );
    const store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket,
    });
    await tamperArtifactByte(store, 'demo', '1.3.0', 42);
    const hooksSoFar = webhook.http.requests.length;
    const tampered = await runCli(['check', 'demo'], cliEnv);
    if (tampered.code === 0) fail('a tampered artifact was accepted');
    const failed = await waitForEvent(webhook, 'check.failed', hooksSoFar);
    ok(
      `one byte of demo 1.3.0 flipped in the bucket → webhook got check.failed ${(failed.data as { code: string }).code}; 1.3.0 not announced`,
    );
    // the operator restores the artifact (the byte flipped back), so later checks pass again
    await tamperArtifactByte(store, 'demo', '1.3.0', 42);

    step(11, 'Backups: one per node before every install, and a verified restore');
    const preUpdate = jsonOf<
      Array<{ id: string; nodeId: string; status: string; componentVersion: string | null; trigger: string }>
    >(await cli('backup', 'list', '--json', '--limit', '50'));
    const byNode = new Map(
      preUpdate
        .filter((b) => b.trigger === 'pre-update' && b.status === 'completed')
        .reverse()
        .map((b) => [b.nodeId, b]),
    ); // newest last wins
    if (!NODES.every((id) => byNode.has(id)))
      fail(`not every node has a completed pre-update backup: ${[...byNode.keys()].join(', ')}`);
    ok(
      `pre-update backups in the catalogue (encrypted, AES-256-GCM): ${NODES.map((id) => `${id} → ${byNode.get(id)!.id}`).join(', ')}`,
    );
    const checked = byNode.get('node-2')!.id;
    await cli('backup', 'verify', checked);
    ok(`lockstep backup verify ${checked}: every pack downloaded again, every chunk and file hash checked`);
    await cli(
      'backup',
      'create',
      '--name',
      'shop_before_cleanup',
      '--description',
      'orders and invoices before the cleanup job',
    );
    const taken = jsonOf<{ backup: { sizeBytes: number; storedBytes: number; packs: number } }>(
      await cli('backup', 'show', 'shop_before_cleanup', '--json'),
    ).backup;
    ok(
      `lockstep backup create: database (pg_dump, streamed) + data directory → ${taken.sizeBytes} B, stored ${taken.storedBytes} B in ${taken.packs} pack(s)`,
    );
    await withPgClient(shop.url, (c) => c.query(`DELETE FROM orders WHERE qty > 3`));
    await writeFile(join(shopData, 'invoices.csv'), 'truncated by mistake');
    const lost = await withPgClient(
      shop.url,
      async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0].n,
    );
    ok(`a bad cleanup: ${500 - lost} orders deleted, invoices.csv truncated`);
    await cli('backup', 'restore', 'shop_before_cleanup', '--what', 'all', '--confirm');
    const back = await withPgClient(
      shop.url,
      async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0].n,
    );
    const invoices = (await readFile(join(shopData, 'invoices.csv'), 'utf8')).split('\n').length;
    if (back !== 500 || invoices !== 2000)
      fail(`the restore did not bring everything back: ${back} orders, ${invoices} invoice lines`);
    ok(
      `lockstep backup restore --what all --confirm: verified first, then ${back} orders and ${invoices} invoice lines are back`,
    );
    const listing = await cli('backup', 'list', '--limit', '6');
    console.log(listing.stdout.trimEnd().replace(/^/gm, '   '));
    const prune = await cli('backup', 'prune', '--dry-run');
    console.log(prune.stdout.trimEnd().split('\n').slice(-4).join('\n').replace(/^/gm, '   '));

    step(12, 'A node goes away: announced, left out of the next rollout, decommissioned');
    await lostNodeStep(
      { cli, procs, appVersions, work, ok, fail, cleanup: (stop) => void cleanup.push(stop) },
      rollout,
    );

    step(13, 'Automatic updates: a policy file, a security fix out on its own, a major waiting for approval');
    await automaticUpdateStep({ cli, appVersions, work, ok, fail, cleanup: (stop) => void cleanup.push(stop) });

    step(14, 'Delivery log (lockstep deliveries)');
    const log = await cli('deliveries', '--limit', '8');
    console.log(log.stdout.replace(/^/gm, '   '));

    step(15, 'The audit trail: every change and refusal, hash-chained (lockstep audit)');
    const trail = await cli('audit', '--since', '1h', '--limit', '10');
    console.log(trail.stdout.trimEnd().replace(/^/gm, '   '));
    const refused = JSON.parse((await cli('audit', '--action', 'request.refused', '--json')).stdout) as unknown[];
    if (refused.length < 2) fail(`the refused check and webhook should be in the audit trail, found ${refused.length}`);
    const verdict = JSON.parse((await cli('audit', 'verify', '--json')).stdout) as { ok: boolean; records: number };
    if (!verdict.ok) fail(`lockstep audit verify found the trail broken: ${JSON.stringify(verdict)}`);
    ok(
      `lockstep audit verify: ${verdict.records} records, each chained to the one before; an edited or removed record would be named`,
    );
    // Every process ran all of the above under its own least-privilege NATS user: the server
    // would have logged any subject one of them reached for beyond its permissions.
    const violations = nats.output().match(/^.*Violation.*$/gm) ?? [];
    if (violations.length)
      fail(
        `a Lockstep process needed more NATS permissions than lockstep nats config grants:\n${violations.join('\n')}`,
      );
    ok('NATS: no process reached beyond its own permissions (the server logged no permissions violation)');
    console.log(
      `Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s: releases announced and delivered with verified signatures, a fleet rolled canary-first to 1.2.0, a broken 1.4.0 rolled back on its canary, a tampered 1.3.0 refused, a backup per node before every install, a verified restore, a lost node announced, left out and removed, and automatic updates: a security fix rolled out by policy with no one running upgrade, a major waiting for approval.`,
    );
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}

/** Waits for the next webhook of a type after `from` requests, verified. */
async function waitForEvent(webhook: DemoWebhookReceiver, type: string, from: number) {
  for (let n = from + 1; ; n++) {
    const reqs = await webhook.http.waitForRequests(n, 20_000);
    const ev = webhook.verify(reqs[n - 1]);
    if (!ev.verified) fail(`webhook ${ev.id} failed signature verification`);
    if (ev.type.includes(type)) return ev;
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`\ndemo failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
