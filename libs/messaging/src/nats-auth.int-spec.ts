import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnectionSettings } from '@lockstep/config';
import {
  createTestNatsOperator,
  rejectionOf,
  startNatsServer,
  uniqueName,
  type NatsServerInstance,
  type TestNatsOperator,
} from '@lockstep/testing';
import {
  connectNats,
  inboxPrefixFor,
  MessagingUnavailableError,
  NamespacedNatsServer,
  NatsClient,
  NatsFailures,
  QueryClient,
} from '@lockstep/messaging';

/** May use its own reply inbox and the `svc` namespace, nothing else: another user's replies stay unreadable. */
const permissions = (identity: string) =>
  `permissions: { publish: { allow: [">"] }, subscribe: { allow: ["svc.>", "${inboxPrefixFor(identity)}.>"] } }`;

const SECOND = 1000;

/** Real nats-server processes with users, NKeys, a token and an operator (creds files), started here. */
describe('NATS authentication', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-nats-auth-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const nkeyUser = nkeys.createUser();
  const seedFile = file('user.nk', new TextDecoder().decode(nkeyUser.getSeed()));
  const strangerSeedFile = file('stranger.nk', new TextDecoder().decode(nkeys.createUser().getSeed()));
  let users: NatsServerInstance;
  let tokenServer: NatsServerInstance;
  let operatorServer: NatsServerInstance;
  let operator: TestNatsOperator;
  const connections: NatsConnection[] = [];

  const connectAs = async (settings: Omit<NatsConnectionSettings, 'NATS_URL'>, server: NatsServerInstance) => {
    const nc = await connectNats({ NATS_URL: [server.url], ...settings }, { reconnect: false, timeout: 3 * SECOND });
    connections.push(nc);
    return nc;
  };
  const failureOf = (attempt: Promise<unknown>) => rejectionOf(attempt, MessagingUnavailableError);
  const echoes = async (nc: NatsConnection) => {
    const subject = `svc.${uniqueName('echo')}`;
    nc.subscribe(subject, {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    const reply = await nc.request(subject, 'ping', { timeout: 2 * SECOND });
    return reply.string();
  };

  beforeAll(async () => {
    operator = createTestNatsOperator();
    users = await startNatsServer({
      config: [
        'authorization {',
        '  users = [',
        `    { user: alice, password: "alice-pw", ${permissions('alice')} }`,
        `    { user: mallory, password: "mallory-pw", permissions: { publish: { deny: ["$JS.API.>"] }, subscribe: { allow: ["${inboxPrefixFor('mallory')}.>"] } } }`,
        `    { nkey: ${nkeyUser.getPublicKey()}, ${permissions(nkeyUser.getPublicKey())} }`,
        '  ]',
        '}',
      ].join('\n'),
    });
    tokenServer = await startNatsServer({ config: 'authorization { token: "the-token" }' });
    operatorServer = await startNatsServer({ config: operator.serverConfig, jetstream: false });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });
  afterAll(async () => {
    await Promise.all([users, tokenServer, operatorServer].map((s) => s?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('user and password', () => {
    it('connects with the right password', async () => {
      const nc = await connectAs({ NATS_USER: 'alice', NATS_PASSWORD: 'alice-pw' }, users);

      expect(await echoes(nc)).toBe('ping');
    });

    it('is refused with a wrong one, naming the settings to fix', async () => {
      const err = await failureOf(connectAs({ NATS_USER: 'alice', NATS_PASSWORD: 'wrong' }, users));

      expect(err.code).toBe(NatsFailures.Authentication);
      expect(err.message).toMatch(/authentication failed.*fix NATS_USER and NATS_PASSWORD/);
      expect(err.message).not.toContain('wrong');
    });

    it('is refused without credentials, listing the ways to give them', async () => {
      const err = await failureOf(connectAs({}, users));

      expect(err.code).toBe(NatsFailures.Authentication);
      expect(err.message).toMatch(/set NATS_CREDS_FILE, NATS_NKEY_SEED_FILE, NATS_USER \+ NATS_PASSWORD or NATS_TOKEN/);
    });
  });

  describe('NKey seed file', () => {
    it('connects with the seed of a user the server lists', async () => {
      const nc = await connectAs({ NATS_NKEY_SEED_FILE: seedFile }, users);

      expect(await echoes(nc)).toBe('ping');
    });

    it('is refused with the seed of another user', async () => {
      const err = await failureOf(connectAs({ NATS_NKEY_SEED_FILE: strangerSeedFile }, users));

      expect(err.code).toBe(NatsFailures.Authentication);
      expect(err.message).toMatch(/fix NATS_NKEY_SEED_FILE/);
    });
  });

  describe('token', () => {
    it('connects with the right token', async () => {
      const nc = await connectAs({ NATS_TOKEN: 'the-token' }, tokenServer);

      expect(await echoes(nc)).toBe('ping');
    });

    it('is refused with a wrong one', async () => {
      const err = await failureOf(connectAs({ NATS_TOKEN: 'not-the-token' }, tokenServer));

      expect(err.code).toBe(NatsFailures.Authentication);
      expect(err.message).toMatch(/fix NATS_TOKEN/);
    });
  });

  describe('creds file (operator mode)', () => {
    it('connects as a user of the account, replies arriving on its own inbox', async () => {
      // It may subscribe only on _INBOX_<its public key>.> (and svc.>), so a reply proves the prefix.
      const user = operator.createUser('svc', (key) => ({ sub: { allow: ['svc.>', `${inboxPrefixFor(key)}.>`] } }));
      const nc = await connectAs({ NATS_CREDS_FILE: file('svc.creds', user.creds) }, operatorServer);

      expect(await echoes(nc)).toBe('ping');
    });

    it('is refused with the creds of a user another operator signed', async () => {
      const foreign = createTestNatsOperator().createUser('svc');

      const err = await failureOf(connectAs({ NATS_CREDS_FILE: file('foreign.creds', foreign.creds) }, operatorServer));

      expect(err.code).toBe(NatsFailures.Authentication);
      expect(err.message).toMatch(/fix NATS_CREDS_FILE/);
    });
  });

  describe('reply inbox per identity', () => {
    it('needs it: with nats.js default _INBOX the same user cannot receive a reply', async () => {
      const nc = await connect({ servers: [users.url], user: 'alice', pass: 'alice-pw', reconnect: false });
      connections.push(nc);
      const subject = `svc.${uniqueName('echo')}`;
      nc.subscribe(subject, {
        callback: (_err, msg) => {
          msg.respond(msg.data);
        },
      });

      await expect(nc.request(subject, 'ping', { timeout: 2 * SECOND })).rejects.toThrow(/Permissions Violation/);
    });

    it('lets a user that may subscribe only on its inbox use JetStream through NatsClient (publish, consume)', async () => {
      const sut = new NatsClient({
        service: 'inbox-spec',
        namespace: 'svc',
        handles: [],
        connection: { NATS_URL: [users.url], NATS_NKEY_SEED_FILE: seedFile },
      });
      try {
        await sut.connect();

        expect(await sut.isReady()).toBe(true);
        const name = uniqueName('INBOX').toUpperCase();
        await sut.jsm.streams.add({ name, subjects: [`svc.${name}.>`] });
        await sut.js.publish(`svc.${name}.one`, 'hello');
        const consumer = await sut.js.consumers.get(name);
        expect((await consumer.next({ expires: 5 * SECOND }))?.string()).toBe('hello');
        await sut.jsm.streams.delete(name);
      } finally {
        await sut.onApplicationShutdown();
      }
    });

    it('lets a JetStream manager of a bare connection made with connectNats answer', async () => {
      const nc = await connectAs({ NATS_USER: 'alice', NATS_PASSWORD: 'alice-pw' }, users);

      const info = await (await jetstreamManager(nc)).getAccountInfo();

      expect(info.streams).toBeGreaterThanOrEqual(0);
    });

    it('lets QueryClient ask a NamespacedNatsServer, both as that user', async () => {
      const settings = { NATS_URL: [users.url], NATS_USER: 'alice', NATS_PASSWORD: 'alice-pw' };
      const server = new NamespacedNatsServer('svc', settings, { queue: 'inbox-spec' });
      server.addHandler('qry.spec.echo.v1', async (data: unknown) => ({ echoed: data }));
      await new Promise<void>((resolve, reject) => {
        void server.listen((err?: unknown) => (err instanceof Error ? reject(err) : resolve()));
      });
      const sut = new QueryClient('svc', settings);
      try {
        const reply = await sut.send<{ echoed: unknown }>('qry.spec.echo.v1' as never, { n: 1 }, 5 * SECOND);

        expect(reply).toEqual({ echoed: { n: 1 } });
      } finally {
        await sut.close();
        await server.close();
      }
    });

    it('says "authorization violation" when the user may not use JetStream', async () => {
      const sut = new NatsClient({
        service: 'inbox-spec',
        namespace: 'svc',
        handles: [],
        connection: { NATS_URL: [users.url], NATS_USER: 'mallory', NATS_PASSWORD: 'mallory-pw' },
      });

      const err = await failureOf(sut.connect());

      expect(err.code).toBe(NatsFailures.Authorization);
      expect(err.message).toMatch(/authorization violation.*\$JS\.API/);
    });
  });
});
