import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  commonSchema,
  loadConfig,
  natsSchema,
  natsSettingsEnv,
  natsSettingsProblems,
  parseCredsFile,
} from '@lockstep/config';

const SEED = 'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4';
const ACCOUNT_SEED = 'SAAJGCR5LRSFRULLRD5HZUE2FPSFFPKTPCHAOIMQDMQRS4ZAK7IQQAD2DA';
const CREDS = [
  '-----BEGIN NATS USER JWT-----',
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln',
  '------END NATS USER JWT------',
  '',
  '************************* IMPORTANT *************************',
  '',
  '-----BEGIN USER NKEY SEED-----',
  SEED,
  '------END USER NKEY SEED------',
  '',
].join('\n');

describe(natsSettingsProblems.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-nats-settings-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const seedFile = file('user.nk', `${SEED}\n`);
  const credsFile = file('user.creds', CREDS);
  const pem = file('ca.pem', '-----BEGIN CERTIFICATE-----\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['nothing', {}],
    ['a creds file', { NATS_CREDS_FILE: credsFile }],
    ['an NKey seed file', { NATS_NKEY_SEED_FILE: seedFile }],
    ['a user and password', { NATS_USER: 'alice', NATS_PASSWORD: 'pw' }],
    ['a token', { NATS_TOKEN: 't' }],
    ['TLS files', { NATS_TLS_CA_FILE: pem, NATS_TLS_CERT_FILE: pem, NATS_TLS_KEY_FILE: pem }],
  ])('accepts %s', (_what, settings) => {
    const result = natsSettingsProblems(settings);

    expect(result).toEqual([]);
  });

  it.each([
    [
      'two ways to authenticate',
      { NATS_TOKEN: 't', NATS_USER: 'alice', NATS_PASSWORD: 'pw' },
      /NATS_USER \+ NATS_PASSWORD, NATS_TOKEN: these are 2 ways to authenticate to NATS; set only one/,
    ],
    ['a password without a user', { NATS_PASSWORD: 'pw' }, /NATS_PASSWORD: set NATS_USER too/],
    ['a user without a password', { NATS_USER: 'alice' }, /NATS_USER: set NATS_PASSWORD \(or NATS_PASSWORD_FILE\)/],
    [
      'a certificate without its key',
      { NATS_TLS_CERT_FILE: pem },
      /NATS_TLS_CERT_FILE, NATS_TLS_KEY_FILE: a client certificate needs its private key/,
    ],
    ['a key without its certificate', { NATS_TLS_KEY_FILE: pem }, /set both or neither/],
    [
      'a missing CA file',
      { NATS_TLS_CA_FILE: '/nonexistent/ca.pem' },
      /NATS_TLS_CA_FILE: cannot use \/nonexistent\/ca.pem \(ENOENT\); point it at a readable file/,
    ],
    [
      'an account seed instead of a user seed',
      { NATS_NKEY_SEED_FILE: file('account.nk', ACCOUNT_SEED) },
      /NATS_NKEY_SEED_FILE: .*an NKey seed of another kind \(SA…\), not a user seed \(SU…\).*starting with SU/,
    ],
    [
      'a seed file holding something else',
      { NATS_NKEY_SEED_FILE: file('junk.nk', 'hello') },
      /NATS_NKEY_SEED_FILE: .*does not hold an NKey user seed/,
    ],
    [
      'a creds file without a seed',
      { NATS_CREDS_FILE: file('half.creds', CREDS.split('\n').slice(0, 3).join('\n')) },
      /NATS_CREDS_FILE: .*no "BEGIN USER NKEY SEED" block/,
    ],
  ])('refuses %s', (_what, settings, message) => {
    const result = natsSettingsProblems(settings);

    expect(result.join('\n')).toMatch(message);
  });

  it('refuses an unreadable file', () => {
    const path = file('locked.pem', 'x');
    chmodSync(path, 0o000);

    const result = natsSettingsProblems({ NATS_TLS_KEY_FILE: path, NATS_TLS_CERT_FILE: pem });

    // root reads anything; everyone else is refused
    if (process.getuid?.() !== 0) expect(result.join('\n')).toMatch(/NATS_TLS_KEY_FILE: cannot use .* \(EACCES\)/);
  });

  it('runs inside loadConfig, with a password read from NATS_PASSWORD_FILE never echoed', () => {
    const act = () =>
      loadConfig('test', z.object(commonSchema), {
        NATS_PASSWORD_FILE: file('pw', 'super-secret-pw\n'),
        NATS_TOKEN: 'tok-secret',
      });

    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/NATS_PASSWORD: set NATS_USER too/);
    expect(act).not.toThrow(/super-secret-pw|tok-secret/);
  });

  it('parses NATS_TLS_REQUIRED as a boolean, default false', () => {
    const schema = z.object(natsSchema);

    expect(loadConfig('test', schema, {}).NATS_TLS_REQUIRED).toBe(false);
    expect(loadConfig('test', schema, { NATS_TLS_REQUIRED: 'true' }).NATS_TLS_REQUIRED).toBe(true);
    expect(() => loadConfig('test', schema, { NATS_TLS_REQUIRED: 'maybe' })).toThrow(
      /NATS_TLS_REQUIRED: expected true or false/,
    );
  });
});

describe(parseCredsFile.name, () => {
  it('reads the JWT and the seed', () => {
    const sut = parseCredsFile(CREDS);

    expect(sut).toEqual({ jwt: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln', seed: SEED });
  });

  it('says which block is missing', () => {
    const act = () => parseCredsFile('no blocks here');

    expect(act).toThrow(/no "BEGIN NATS USER JWT" block/);
  });
});

describe(natsSettingsEnv.name, () => {
  it('turns settings back into the variables a child process reads', () => {
    const sut = natsSettingsEnv({
      NATS_URL: ['nats://a:4222', 'nats://b:4222'],
      NATS_TLS_REQUIRED: true,
      NATS_TOKEN: 't',
      NATS_USER: undefined,
    });

    expect(sut).toEqual({ NATS_URL: 'nats://a:4222,nats://b:4222', NATS_TLS_REQUIRED: 'true', NATS_TOKEN: 't' });
  });
});
