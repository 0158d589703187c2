import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/nats-core';
import { inboxPrefixFor } from '@lockstep/messaging';
import {
  createTestDatabase,
  spawnTs,
  startNatsServer,
  uniqueName,
  type NatsServerInstance,
  type TestDatabase,
  type TsChild,
} from '@lockstep/testing';

/**
 * The scheduler as a process (bootstrap, PlatformModule, query server and client, fleet lock)
 * on a nats-server that knows it only by its NKey and lets it subscribe only to its namespace
 * and its own reply inbox: every connection of the process must use the settings.
 */
describe('scheduler on a NATS server with NKey users', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-sched-nkey-'));
  const user = nkeys.createUser();
  const seedFile = join(dir, 'scheduler.nk');
  writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
  const namespace = uniqueName('s');
  let server: NatsServerInstance;
  let db: TestDatabase;
  let child: TsChild | undefined;

  beforeAll(async () => {
    const subscribe = [`${namespace}.>`, `${inboxPrefixFor(user.getPublicKey())}.>`];
    server = await startNatsServer({
      config: `authorization { users = [ { nkey: ${user.getPublicKey()}, permissions: { publish: ">", subscribe: ${JSON.stringify(subscribe)} } } ] }`,
    });
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await child?.kill('SIGKILL');
    child = undefined;
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (env: Record<string, string>) =>
    (child = spawnTs('services/scheduler/src/main.ts', {
      DATABASE_URL: db.url,
      NATS_URL: server.url,
      NATS_NAMESPACE: namespace,
      LOG_LEVEL: 'info',
      ...env,
    }));

  it('starts with the seed file', async () => {
    const sut = start({ NATS_NKEY_SEED_FILE: seedFile });

    await sut.waitForLine((l) => /scheduler ready/.test(String(l.msg)), 60_000);
    // nats-server logs every subscribe or publish it refused (another inbox, another namespace).
    expect(server.output()).not.toMatch(/Violation/);
  });

  it('stops with a message naming the setting when the server does not know the user', async () => {
    const stranger = join(dir, 'stranger.nk');
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    writeFileSync(stranger, seed);
    const sut = start({ NATS_NKEY_SEED_FILE: stranger });

    const line = await sut.waitForLine((l) => /failed to start/.test(String(l.msg)), 60_000);

    expect(String(line.msg)).toMatch(/authentication failed.*fix NATS_NKEY_SEED_FILE/);
    expect(JSON.stringify(sut.lines) + sut.stderr()).not.toContain(seed);
  });
});
