import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/nats-core';
import {
  classifyConnectFailure,
  DEFAULT_INBOX_PREFIX,
  explainConnectFailure,
  inboxPrefixFor,
  natsConnectionOptions,
  natsIdentity,
  NatsFailures,
} from '@lockstep/messaging';

describe(natsConnectionOptions.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-nats-options-'));
  const user = nkeys.createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  const seedFile = join(dir, 'user.nk');
  const credsFile = join(dir, 'user.creds');
  writeFileSync(seedFile, `${seed}\n`);
  writeFileSync(
    credsFile,
    `-----BEGIN NATS USER JWT-----\neyJ.e30.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const url = ['nats://127.0.0.1:4222'];

  it('leaves TLS, credentials and the inbox to nats.js defaults with only a URL', () => {
    const sut = natsConnectionOptions({ NATS_URL: url });

    expect(sut).toEqual({ servers: url });
  });

  it.each([
    ['a user', { NATS_USER: 'alice', NATS_PASSWORD: 'pw' }, (): string => 'alice'],
    ['an NKey seed file', { NATS_NKEY_SEED_FILE: seedFile }, (): string => user.getPublicKey()],
    ['a creds file', { NATS_CREDS_FILE: credsFile }, (): string => user.getPublicKey()],
  ])('gives %s its own reply inbox', (_what, settings, identity) => {
    const sut = natsConnectionOptions({ NATS_URL: url, ...settings });

    expect(natsIdentity({ NATS_URL: url, ...settings })).toBe(identity());
    expect(sut.inboxPrefix).toBe(`_INBOX_${identity()}`);
  });

  it('reads the creds file again at every connect, so a refreshed JWT needs no restart', () => {
    const sut = natsConnectionOptions({ NATS_URL: url, NATS_CREDS_FILE: credsFile });
    writeFileSync(credsFile, readFileSync(credsFile, 'utf8').replace('eyJ.e30.sig', 'eyJ.e30.renewed'));

    const auth = (sut.authenticator as (nonce?: string) => { jwt?: string })('nonce');

    expect(auth.jwt).toBe('eyJ.e30.renewed');
  });

  it('keeps the shared _INBOX for a token', () => {
    const sut = natsConnectionOptions({ NATS_URL: url, NATS_TOKEN: 't' });

    expect(sut).toEqual({ servers: url, token: 't' });
    expect(natsIdentity({ NATS_URL: url, NATS_TOKEN: 't' })).toBeUndefined();
    expect(inboxPrefixFor('alice')).toBe(`${DEFAULT_INBOX_PREFIX}_alice`);
  });

  it.each([
    ['a seed file', { NATS_NKEY_SEED_FILE: seedFile }],
    ['a creds file', { NATS_CREDS_FILE: credsFile }],
  ])('authenticates %s with an authenticator, not a password', (_what, settings) => {
    const sut = natsConnectionOptions({ NATS_URL: url, ...settings });

    expect(typeof sut.authenticator).toBe('function');
    expect(sut).not.toHaveProperty('pass');
  });

  it.each([
    ['a tls:// URL', { NATS_URL: ['tls://127.0.0.1:4222'] }, {}],
    ['NATS_TLS_REQUIRED', { NATS_URL: url, NATS_TLS_REQUIRED: true }, {}],
    [
      'TLS files',
      { NATS_URL: url, NATS_TLS_CA_FILE: '/ca', NATS_TLS_CERT_FILE: '/c', NATS_TLS_KEY_FILE: '/k' },
      { caFile: '/ca', certFile: '/c', keyFile: '/k' },
    ],
  ])('requires TLS for %s', (_what, settings, tls) => {
    const sut = natsConnectionOptions(settings);

    expect(sut.tls).toEqual(tls);
    expect(sut.servers).toEqual(settings.NATS_URL);
  });
});

describe(classifyConnectFailure.name, () => {
  const error = (name: string, message: string, code?: string) =>
    Object.assign(new Error(message), { name, ...(code ? { code } : {}) });

  it.each([
    [error('AuthorizationError', 'Authorization Violation'), NatsFailures.Authentication],
    [
      error('PermissionViolationError', 'Permissions Violation for Publish to "$JS.API.INFO"'),
      NatsFailures.Authorization,
    ],
    [error('ConnectionError', "server does not support 'tls'"), NatsFailures.TlsUnavailable],
    [
      error('Error', 'unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      NatsFailures.Certificate,
    ],
    [
      error('Error', 'ssl/tls alert bad certificate', 'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE'),
      NatsFailures.Certificate,
    ],
    [error('ConnectionError', 'connection refused'), NatsFailures.Unreachable],
  ])('sorts %s as %s', (err, failure) => {
    const result = classifyConnectFailure(err);

    expect(result).toBe(failure);
  });

  it('never puts a password or token into the message', () => {
    const sut = explainConnectFailure(error('AuthorizationError', 'Authorization Violation'), {
      NATS_URL: ['nats://127.0.0.1:4222'],
      NATS_USER: 'alice',
      NATS_PASSWORD: 'hunter2',
    });

    expect(sut.message).toMatch(/authentication failed.*user alice/);
    expect(sut.message).not.toContain('hunter2');
  });

  it('drops a token or password written into a server URL', () => {
    const sut = explainConnectFailure(error('Error', 'connection refused'), {
      NATS_URL: ['nats://s3cr3t-token@10.0.0.5:4222', 'tls://bob:hunter2@10.0.0.6:4222'],
    });

    expect(sut.message).toContain('nats://10.0.0.5:4222,tls://10.0.0.6:4222');
    expect(sut.message).not.toMatch(/s3cr3t-token|hunter2/);
  });
});
