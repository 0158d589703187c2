import {
  BACKUP_OPERATIONS_CONSUMER,
  BackupSubjects,
  NodeConsumers,
  NodeSubjects,
  Queries,
  Streams,
  Subjects,
  eventFilterSubject,
  eventWireSubject,
  type Query,
} from '@lockstep/contracts';
import { FleetLock } from '@lockstep/fleet-lock';
import { startNatsServer, uniqueName, type NatsServerInstance } from '@lockstep/testing';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nkeyAuthenticator, nkeys, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { CommandConsumer } from './command-consumer';
import { ensureConsumer, ensureStreams } from './jetstream-topology';
import { NodeDirectory } from './node-directory';
import { NamespacedNatsServer, QueryClient } from './query-transport';
import { inboxPrefixFor } from './nats-connection';
import type { NatsConnectionSettings } from '@lockstep/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deploymentIdentities,
  identityName,
  namespaceStreams,
  queryOwner,
  renderNatsAuthorization,
} from './nats-permissions';

/**
 * Acceptance of issue 11 (least privilege on NATS): a real nats-server runs the generated
 * users for nodes a and b; every identity tries every action, and each cell of the table
 * is checked to be exactly allowed or refused (refused = the server's permissions
 * violation, never a timeout). The admin builds the topology first.
 */
const NS = uniqueName('np');
const ST = namespaceStreams(NS);
const ns = (relative: string) => `${NS}.${relative}`;

const Who = ['agent a', 'agent b', 'scheduler', 'checker', 'notifier', 'api', 'backup', 'anonymous'] as const;
type Who = (typeof Who)[number];
type Outcome = 'allowed' | 'refused';

/** A connected identity and the async errors (permission violations) its connection reported. */
interface Client {
  nc: NatsConnection;
  js: JetStreamClient;
  errors: Error[];
}

const keys = new Map(
  deploymentIdentities(['a', 'b'], { admin: true }).map((identity) => [
    identityName(identity),
    { identity, pair: nkeys.createUser() },
  ]),
);
const keyOf = (who: Exclude<Who, 'anonymous'> | 'admin') => keys.get(who.replace(' ', '-'))!;

let server: NatsServerInstance;
/** A command the admin published for the scheduler to delete (to a node nobody consumes). */
let withdrawableSeq = 0;
const clients = new Map<string, Client>();

/** Settings of an identity as a Lockstep process gets them: the server and a seed file. */
function settingsOf(who: Exclude<Who, 'anonymous'> | 'admin'): NatsConnectionSettings {
  const path = join(mkdtempSync(join(tmpdir(), 'lockstep-seed-')), `${who.replace(' ', '-')}.nk`);
  writeFileSync(path, new TextDecoder().decode(keyOf(who).pair.getSeed()), { mode: 0o600 });
  return { NATS_URL: [server.url], NATS_NKEY_SEED_FILE: path };
}

/** Connection options of an identity: its NKey and its own inbox prefix. */
function optionsOf(who: Exclude<Who, 'anonymous'> | 'admin') {
  const { pair } = keyOf(who);
  return {
    servers: server.url,
    name: who,
    authenticator: nkeyAuthenticator(pair.getSeed()),
    inboxPrefix: inboxPrefixFor(pair.getPublicKey()),
    reconnect: false,
  };
}

async function connectAs(who: Exclude<Who, 'anonymous'> | 'admin'): Promise<Client> {
  const nc = await connect(optionsOf(who));
  const errors: Error[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') errors.push(s.error);
  })();
  return { nc, js: jetstream(nc, { timeout: 3000 }), errors };
}

const isPermissionViolation = (err: unknown): boolean => {
  for (let e = err as Error | undefined; e; e = e.cause as Error | undefined)
    if (e.name === 'PermissionViolationError' || /permissions violation/i.test(e.message)) return true;
  return false;
};

/**
 * Runs `act`; refused when it failed with a permissions violation, or the connection reported
 * one meanwhile (a refused pull request surfaces only there; the pull itself then fails with
 * missed heartbeats). Any other failure fails the test.
 */
async function attempt(c: Client, act: (c: Client) => Promise<unknown>): Promise<Outcome> {
  const before = c.errors.length;
  const violated = () => c.errors.slice(before).some(isPermissionViolation);
  try {
    await act(c);
    await c.nc.flush();
  } catch (err) {
    if (isPermissionViolation(err) || violated()) return 'refused';
    throw err;
  }
  return violated() ? 'refused' : 'allowed';
}

const streamConfig = (s: { name: string; subjects: readonly string[] }) => ({
  name: `${NS.toUpperCase()}_${s.name}`,
  subjects: s.subjects.map(ns),
});
const json = (x: object) => JSON.stringify(x);
const writeLock = async (js: JetStreamClient, key: string) =>
  (await new Kvm(js).open(ST.locksBucket)).put(key, json({ holder: 'probe' }));

/** The actions, each failing with a permissions violation when refused. */
const actions: Record<string, (c: Client) => Promise<unknown>> = {
  "consume node a's commands": async ({ js }) => {
    const consumer = await js.consumers.get(ST.commands, NodeConsumers.installer('a'));
    const m = await consumer.next({ expires: 1000 });
    m?.ack();
  },
  'publish a command to node a': ({ js }) => js.publish(ns(NodeSubjects.install('a')), json({ probe: true })),
  'publish a control event (rollout changed)': ({ js }) => js.publish(ns(Subjects.RolloutChanged), json({})),
  'write lock key cluster': ({ js }) => writeLock(js, 'cluster'),
  'write lock key backup-repo.shared.op1': ({ js }) => writeLock(js, 'backup-repo.shared.op1'),
  'write lock key backup-repo.exclusive': ({ js }) => writeLock(js, 'backup-repo.exclusive'),
  "announce a backup as the control plane's": ({ js }) =>
    js.publish(ns(eventWireSubject(Subjects.BackupChanged)), json({})),
  'announce a backup of node a': ({ js }) => js.publish(ns(eventWireSubject(Subjects.BackupChanged, 'a')), json({})),
  "write node b's record": async ({ js }) => (await new Kvm(js).open(ST.nodesBucket)).put('b', json({ id: 'b' })),
  "delete node b's record": async ({ js }) => (await new Kvm(js).open(ST.nodesBucket)).delete('b'),
  "delete node b's command consumer": async ({ nc }) =>
    (await jetstreamManager(nc)).consumers.delete(ST.commands, NodeConsumers.installer('b')),
  'publish a node lost event': ({ js }) => js.publish(ns(Subjects.NodeLost), json({})),
  'ensure the namespace streams exist': async ({ nc }) =>
    ensureStreams(await jetstreamManager(nc), NS, 1, { update: false }),
  // e.g. cap COMMANDS so commands vanish, or seal it for good
  'change the commands stream': async ({ nc }) => {
    const jsm = await jetstreamManager(nc);
    const { config } = await jsm.streams.info(ST.commands);
    await jsm.streams.update(ST.commands, { ...config, max_msgs_per_subject: config.max_msgs_per_subject });
  },
  // what the scheduler's withdrawal of a timed-out install does (only it may)
  'delete a command from the commands stream': async ({ nc }) => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.deleteMessage(ST.commands, withdrawableSeq);
  },
  'create a consumer on the events stream': async ({ nc }) =>
    (await jetstreamManager(nc)).consumers.add(ST.events, {
      durable_name: uniqueName('probe'),
      filter_subject: ns(Subjects.RolloutChanged),
      ack_policy: AckPolicy.Explicit,
    }),
  "create a consumer on node a's commands": async ({ nc }) =>
    (await jetstreamManager(nc)).consumers.add(ST.commands, {
      durable_name: uniqueName('probe'),
      filter_subject: ns(NodeSubjects.allFor('a')),
      ack_policy: AckPolicy.Explicit,
    }),
  'create a stream outside the namespace': async ({ nc }) =>
    (await jetstreamManager(nc)).streams.add({ name: `${NS.toUpperCase()}_OTHER`, subjects: [`other.${NS}.>`] }),
  // the operator's `lockstep dead-letters` goes through the scheduler (qry.scheduler.dead-letter-*)
  'read a dead letter': async ({ nc }) => (await jetstreamManager(nc)).streams.getMessage(ST.deadLetters, { seq: 1 }),
  // seq 2 is only for this cell: the one identity allowed deletes it
  'delete a dead letter': async ({ nc }) => (await jetstreamManager(nc)).streams.deleteMessage(ST.deadLetters, 2),
  // a forged dead letter would be published again under the scheduler's user by a re-drive
  'dead-letter an install event': ({ js }) => js.publish(ns(`dlq.${Subjects.InstallFinished}`), json({})),
  "dead-letter node a's command": ({ js }) => js.publish(ns(`dlq.${NodeSubjects.install('a')}`), json({})),
  'dead-letter a backup operation': ({ js }) => js.publish(ns(`dlq.${BackupSubjects.operation}`), json({})),
  'publish an install event for node a': ({ js }) => js.publish(ns(`${Subjects.InstallProgress}.a`), json({})),
  'publish an install event for node b': ({ js }) => js.publish(ns(`${Subjects.InstallFinished}.b`), json({})),
  "subscribe to node a's command subject": async ({ nc }) => {
    const sub = nc.subscribe(ns(NodeSubjects.allFor('a')));
    await nc.flush();
    const closed = await Promise.race([sub.closed, new Promise((r) => setTimeout(r, 200, 'open'))]);
    sub.unsubscribe();
    if (closed instanceof Error) throw closed;
  },
  ...Object.fromEntries(
    Object.values(Queries).map((q) => [
      `ask ${q}`,
      async ({ nc }: Client) => {
        const reply = await nc.request(ns(q), 'ping', { timeout: 3000 });
        if (reply.string() !== `pong from ${queryOwner(q)}`) throw new Error(`unexpected reply ${reply.string()}`);
      },
    ]),
  ),
};

/** What each identity may do; every other cell is refused. */
const allowed: Record<Who, string[]> = {
  'agent a': [
    "consume node a's commands",
    'publish an install event for node a',
    'write lock key backup-repo.shared.op1',
    'announce a backup of node a',
    "dead-letter node a's command",
  ],
  'agent b': [
    "write node b's record",
    "delete node b's record",
    'publish an install event for node b',
    'write lock key backup-repo.shared.op1',
  ],
  scheduler: [
    'publish a command to node a',
    'publish a control event (rollout changed)',
    // a re-drive publishes a dead letter again to its original subject, whoever published it first
    'publish an install event for node a',
    'publish an install event for node b',
    "announce a backup as the control plane's",
    'announce a backup of node a',
    'read a dead letter',
    'delete a dead letter',
    'publish a node lost event',
    'dead-letter an install event',
    // `lockstep nodes rm b`: the scheduler deletes a dead node's record and consumer; NATS cannot
    // tell a delete marker from a write, so it may write the record too.
    "write node b's record",
    "delete node b's record",
    "delete node b's command consumer",
    'write lock key cluster',
    // An operator's `lockstep locks release` of a stuck backup lock goes through the scheduler.
    'write lock key backup-repo.shared.op1',
    'write lock key backup-repo.exclusive',
    'ensure the namespace streams exist',
    'change the commands stream',
    "create a consumer on node a's commands",
    'create a consumer on the events stream',
    'delete a command from the commands stream',
    `ask ${Queries.ReleaseInfo}`,
  ],
  checker: ['ensure the namespace streams exist'],
  notifier: [
    'ensure the namespace streams exist',
    'create a consumer on the events stream',
    'dead-letter an install event',
  ],
  api: [
    'ensure the namespace streams exist',
    ...Object.values(Queries)
      .filter((q: Query) => q !== Queries.ReleaseInfo)
      .map((q) => `ask ${q}`),
  ],
  backup: [
    'ensure the namespace streams exist',
    'create a consumer on the events stream',
    'write lock key backup-repo.shared.op1',
    'write lock key backup-repo.exclusive',
    "announce a backup as the control plane's",
    'dead-letter a backup operation',
  ],
  anonymous: [],
};

const table = Who.flatMap((who) =>
  Object.keys(actions).map((action) => ({
    who,
    action,
    expected: allowed[who].includes(action) ? 'allowed' : 'refused',
  })),
);

describe('NATS permissions of a deployment (nodes a and b)', () => {
  beforeAll(async () => {
    const users = [...keys.values()].map(({ identity, pair }) => ({ identity, publicKey: pair.getPublicKey() }));
    server = await startNatsServer({
      config: 'include "auth.conf"\n',
      files: { 'auth.conf': renderNatsAuthorization(NS, users) },
    });

    const admin = await connectAs('admin');
    clients.set('admin', admin);
    const jsm = await jetstreamManager(admin.nc);
    for (const s of Object.values(Streams)) await jsm.streams.add(streamConfig(s));
    await new Kvm(admin.js).create(ST.nodesBucket, { history: 1 });
    await FleetLock.open(admin.nc, NS, { holder: 'admin' });
    for (const id of ['a', 'b'])
      await jsm.consumers.add(ST.commands, {
        durable_name: NodeConsumers.installer(id),
        filter_subject: ns(NodeSubjects.allFor(id)),
        ack_policy: AckPolicy.Explicit,
      });
    await admin.js.publish(ns(NodeSubjects.install('a')), json({ from: 'admin' }));
    withdrawableSeq = (await admin.js.publish(ns(NodeSubjects.install('withdrawn')), json({ from: 'admin' }))).seq;
    await admin.js.publish(ns(Subjects.ReleaseAvailable), json({ from: 'admin' }));
    await admin.js.publish(ns(BackupSubjects.operation), json({ from: 'admin' }));
    for (const n of [1, 2]) await admin.js.publish(ns(`dlq.${Subjects.CheckFailed}`), json({ dead: n }));

    for (const who of Who) if (who !== 'anonymous') clients.set(who, await connectAs(who));
  });

  afterAll(async () => {
    for (const c of clients.values()) await c.nc.close();
    await server?.stop();
  });

  it('refuses a connection without credentials', async () => {
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/authorization/i);
  });

  it("delivers node a's command to agent a, which acks it", async () => {
    const { js } = clients.get('agent a')!;

    const consumer = await js.consumers.get(ST.commands, NodeConsumers.installer('a'));
    const m = await consumer.next({ expires: 2000 });
    await m?.ackAck();

    expect(m?.json()).toEqual({ from: 'admin' });
  });

  describe("the services' own code paths", () => {
    const noViolations = (c: Client) => expect(c.errors.filter(isPermissionViolation)).toEqual([]);

    it.each(['notifier', 'scheduler', 'backup'])('%s consumes events through its durable consumer', async (name) => {
      const c = clients.get(name)!;
      const jsm = await jetstreamManager(c.nc);

      await ensureConsumer(jsm, ST.events, `${name}-probe`, ns(Subjects.ReleaseAvailable), {
        ackWaitMs: 30_000,
      });
      const m = await (await c.js.consumers.get(ST.events, `${name}-probe`)).next({ expires: 2000 });
      await m?.ackAck();

      expect(m?.json()).toEqual({ from: 'admin' });
      noViolations(c);
    });

    it('the scheduler creates the consumer of a new node', async () => {
      const c = clients.get('scheduler')!;

      await ensureConsumer(
        await jetstreamManager(c.nc),
        ST.commands,
        NodeConsumers.installer('c'),
        ns(NodeSubjects.allFor('c')),
        {
          ackWaitMs: 30_000,
        },
      );

      noViolations(c);
    });

    it('the backup service creates, updates and pulls its operations consumer', async () => {
      const c = clients.get('backup')!;
      const jsm = await jetstreamManager(c.nc);
      const sut = new CommandConsumer(
        c.js,
        jsm,
        {
          namespace: NS,
          stream: ST.commands,
          durable: BACKUP_OPERATIONS_CONSUMER,
          filterSubject: ns(BackupSubjects.operation),
          deliverPolicy: 'all',
          ackWaitMs: 30_000,
          maxAckPending: 1,
        },
        () => Promise.resolve({ kind: 'ack' }),
        { error: () => undefined },
      );

      await sut.ensure();
      await sut.ensure();
      const m = await (await c.js.consumers.get(ST.commands, BACKUP_OPERATIONS_CONSUMER)).next({ expires: 2000 });
      await m?.ackAck();

      expect(m?.json()).toEqual({ from: 'admin' });
      noViolations(c);
    });

    it('the scheduler takes a rollout lock, lists the locks and releases it', async () => {
      const c = clients.get('scheduler')!;
      const lock = await FleetLock.open(c.nc, NS, { holder: 'scheduler-1', defaultKey: 'rollouts-probe' });

      const lease = await lock.tryAcquire('rollout-1');
      const held = await lock.list();
      await lease?.release();

      expect(held.map((v) => v.key)).toContain('rollouts-probe');
      noViolations(c);
    });

    it('an agent takes a shared backup-repository lock and reads the exclusive one', async () => {
      const c = clients.get('agent a')!;
      const lock = await FleetLock.open(c.nc, NS, { holder: 'agent-a' });

      const lease = await lock.tryAcquire('backup-1', { key: 'backup-repo.shared.op2' });
      const exclusive = await lock.inspect('backup-repo.exclusive');
      await lease?.release();

      expect({ acquired: lease !== undefined, exclusive }).toEqual({ acquired: true, exclusive: null });
      noViolations(c);
    });

    it("the scheduler's query server answers the api and drops events a consumer pushes to its subject", async () => {
      // nats-server checks no permission on a push consumer's deliver subject
      // (nats-io/nats-server#8274): a service that may create consumers can aim one at a query.
      const handled: unknown[] = [];
      const queries = new NamespacedNatsServer(NS, settingsOf('scheduler'), { queue: 'scheduler' });
      queries.addHandler(Queries.RolloutAction, (data: unknown) => (handled.push(data), Promise.resolve('done')));
      let listenError: unknown;
      await queries.listen((err?: unknown) => void (listenError = err));
      expect(listenError).toBeUndefined();
      const api = new QueryClient(NS, settingsOf('api'));
      const backup = clients.get('backup')!;
      const pushed = uniqueName('pushed');

      const reply = await api.send(Queries.RolloutAction, { from: 'api' });
      await backup.js.publish(ns(eventWireSubject(Subjects.BackupChanged)), json({ pushed }));
      await (
        await jetstreamManager(backup.nc)
      ).consumers.add(ST.events, {
        durable_name: pushed,
        filter_subject: ns(eventFilterSubject(Subjects.BackupChanged)),
        deliver_subject: ns(Queries.RolloutAction),
        deliver_group: 'scheduler',
        ack_policy: AckPolicy.None,
      });
      await new Promise((r) => setTimeout(r, 1000));
      await api.close();
      await queries.close();

      expect({ reply, handled }).toEqual({ reply: 'done', handled: [{ from: 'api' }] });
    });

    it('the api lists the nodes through a watch of the node bucket', async () => {
      const c = clients.get('api')!;
      const sut = new NodeDirectory(() => c.nc, NS, { lostAfterMs: 30_000 });

      await sut.watch();
      await expect(sut.list()).resolves.toEqual(expect.any(Array));
      await sut.close();
      await c.nc.flush();

      noViolations(c);
    });
  });

  describe('who may do what', () => {
    beforeAll(async () => {
      // Each query owner answers its queries, under its own user.
      for (const owner of ['scheduler', 'checker', 'notifier'] as const) {
        const { nc } = clients.get(owner)!;
        nc.subscribe(ns(`qry.${owner}.>`), { callback: (_err, msg) => void msg.respond(`pong from ${owner}`) });
        await nc.flush();
      }
    });

    test.each(table)('$who: $action is $expected', async ({ who, action, expected }) => {
      if (who === 'anonymous') {
        const outcome = await connect({ servers: server.url, reconnect: false }).then(
          async (nc) => (await nc.close(), 'allowed'),
          () => 'refused',
        );
        expect(outcome).toBe(expected);
        return;
      }
      const c = clients.get(who)!;

      const outcome = await attempt(c, actions[action]);

      expect(outcome).toBe(expected);
    });
  });
});
