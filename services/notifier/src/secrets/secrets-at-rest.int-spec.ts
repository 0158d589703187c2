import { randomBytes, randomUUID } from 'node:crypto';
import { systemActor } from '@lockstep/contracts';
import { createDataSource, runMigrations, SecretKeyring, SubscriptionEntity } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { SubscriptionRepository } from '../subscriptions/subscription.repository';
import { SealedRowsRepository } from './sealed-rows.repository';
import { RESEAL_BATCH, SecretsAtRest, SecretsAtRestError } from './secrets-at-rest.service';

const SLACK_TOKEN = 'xoxbSlackToken0123456789';
const WHSEC = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe(SecretsAtRest.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  beforeEach(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
  });
  afterEach(async () => {
    await ds.destroy();
    await db.drop();
  });

  const store = (keyring: SecretKeyring, n = 1) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        new SubscriptionRepository(ds, keyring).save(
          Object.assign(new SubscriptionEntity(), {
            id: randomUUID(),
            name: `s${i}`,
            channel: 'slack',
            eventTypes: ['*'],
            enabled: true,
            disabledReason: null,
          }),
          { url: `https://hooks.slack.com/services/T0/B0/${SLACK_TOKEN}`, secrets: [WHSEC] },
          { actor: systemActor('spec'), action: 'subscription.create' },
        ),
      ),
    );
  const rowsText = async () => JSON.stringify(await ds.query(`SELECT * FROM subscriptions`));
  const sut = (keyring: SecretKeyring) => new SecretsAtRest(new SealedRowsRepository(ds), keyring);

  it('stores only the masked URL and the sealed target, and opens it again', async () => {
    const keyring = new SecretKeyring(newKey);
    const [saved] = await store(keyring);

    const text = await rowsText();
    const opened = new SubscriptionRepository(ds, keyring).openTarget(
      (await ds.getRepository(SubscriptionEntity).findOneBy({ id: saved.id }))!,
    );

    expect(text).not.toContain(SLACK_TOKEN);
    expect(text).not.toContain(WHSEC.slice(6));
    expect(text).toContain('https://hooks.slack.com/services/***');
    expect(opened).toEqual({ url: `https://hooks.slack.com/services/T0/B0/${SLACK_TOKEN}`, secrets: [WHSEC] });
  });

  it('seals rows stored in plain text before sealing existed, at start', async () => {
    const id = randomUUID();
    await ds.getRepository(SubscriptionEntity).insert({
      id,
      name: 'legacy',
      channel: 'slack',
      target: { url: `https://hooks.slack.com/services/T0/B0/${SLACK_TOKEN}` },
      eventTypes: ['*'],
      enabled: true,
      disabledReason: null,
    });
    const keyring = new SecretKeyring(newKey);

    await sut(keyring).onModuleInit();

    expect(await rowsText()).not.toContain(SLACK_TOKEN);
    const row = (await ds.getRepository(SubscriptionEntity).findOneBy({ id }))!;
    expect(new SubscriptionRepository(ds, keyring).openTarget(row)).toMatchObject({
      url: `https://hooks.slack.com/services/T0/B0/${SLACK_TOKEN}`,
    });
  });

  it.each([
    ['no key at all', undefined, [], /LOCKSTEP_SECRET_KEY is not set: set LOCKSTEP_SECRET_KEY/],
    ['only another key', newKey, [], /neither LOCKSTEP_SECRET_KEY .* nor in LOCKSTEP_SECRET_KEY_PREVIOUS/],
  ])('refuses to start with sealed rows and %s, saying what to set', async (_what, current, previous, message) => {
    await store(new SecretKeyring(oldKey));

    const start = sut(new SecretKeyring(current, previous)).onModuleInit();

    await expect(start).rejects.toBeInstanceOf(SecretsAtRestError);
    await expect(start).rejects.toThrow(message);
  });

  it('starts without a key while nothing is stored', async () => {
    await expect(sut(new SecretKeyring(undefined)).onModuleInit()).resolves.toBeUndefined();
  });

  it('re-seals every row under the new key across several small transactions', async () => {
    const rows = await store(new SecretKeyring(oldKey), RESEAL_BATCH + 3);
    const keyring = new SecretKeyring(newKey, [oldKey]);

    const reply = await sut(keyring).rotate();

    expect(reply).toEqual({
      ok: true,
      result: { keyId: keyring.currentKeyId, resealed: rows.length, remaining: 0, problems: [] },
    });
    const afterwards = new SubscriptionRepository(ds, new SecretKeyring(newKey));
    for (const row of await ds.getRepository(SubscriptionEntity).find())
      expect(afterwards.openTarget(row)).toMatchObject({ secrets: [WHSEC] });
  });

  it('names a row it cannot open and leaves it as it was', async () => {
    const [row] = await store(new SecretKeyring(oldKey), 2);
    await ds.query(`UPDATE subscriptions SET target_sealed = regexp_replace(target_sealed, '.$', 'x') WHERE id = $1`, [
      row.id,
    ]);

    const reply = await sut(new SecretKeyring(newKey, [oldKey])).rotate();

    expect(reply).toMatchObject({ ok: true, result: { resealed: 1, remaining: 1 } });
    expect(reply.ok && reply.result.problems.join()).toContain(`subscription ${row.id}: the sealed value`);
  });

  it('refuses to rotate without a key', async () => {
    const reply = await sut(new SecretKeyring(undefined)).rotate();

    expect(reply).toMatchObject({ ok: false, error: { code: 'SECRET_KEY_MISSING' } });
  });
});
