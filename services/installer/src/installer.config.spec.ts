import { ConfigError } from '@lockstep/config';
import { generateNpmSigningKey } from '@lockstep/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInstallerConfig, parseBytes, parseLabels, toAgentSettings } from './installer.config';

const base = {
  NODE_ID: 'node-1',
  AGENT_DIR: '/srv/app',
  AGENT_COMPONENT: 'demo',
  AGENT_SUPERVISE_COMMAND: 'node server.js',
  APP_PORT: '8081',
};

describe(loadInstallerConfig.name, () => {
  it('fills in defaults and derives the health URL from APP_PORT', () => {
    const sut = toAgentSettings(loadInstallerConfig({ ...base, NODE_LABELS: 'group=canary,zone=a' }));

    expect(sut).toMatchObject({
      nodeId: 'node-1',
      labels: { group: 'canary', zone: 'a' },
      serviceManager: 'supervise',
      healthUrl: 'http://127.0.0.1:8081/health',
      keepReleases: 3,
      maxArtifactBytes: 16 * 1024 * 1024,
      heartbeatMs: 2000,
      lockKey: 'cluster',
      commandMaxAgeMs: 10 * 60_000,
      serviceManagerSettings: { superviseCommand: 'node server.js', appPort: 8081 },
    });
    expect(sut.trustedRoot).toBeUndefined();
  });

  it('reads the pinned root', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'root-')), 'root.json');
    writeFileSync(path, JSON.stringify({ signed: { _type: 'root' }, signatures: [] }));

    const sut = loadInstallerConfig({ ...base, AGENT_TRUSTED_ROOT: path });

    expect(sut.AGENT_TRUSTED_ROOT?.toString()).toContain('"root"');
  });

  it('pins the npm registry keys from a file', () => {
    const key = generateNpmSigningKey();
    const path = join(mkdtempSync(join(tmpdir(), 'keys-')), 'keys.json');
    writeFileSync(path, JSON.stringify({ keys: [key.json] }));

    const sut = toAgentSettings(
      loadInstallerConfig({ ...base, AGENT_NPM_PACKAGE: '@acme/app', AGENT_NPM_KEYS_FILE: path }),
    );

    expect(sut.npm).toMatchObject({
      registry: 'https://registry.npmjs.org',
      packageName: '@acme/app',
      keys: [expect.objectContaining({ keyid: key.keyid })],
    });
  });

  it.each([
    [{ NODE_ID: 'Node 1' }, /NODE_ID: node ids are lowercase/],
    [{ NODE_LABELS: 'canary' }, /NODE_LABELS: expected key=value pairs/],
    [{ AGENT_DIR: 'relative/dir' }, /AGENT_DIR: expected an absolute path/],
    [{ AGENT_SERVICE_MANAGER: 'launchd' }, /AGENT_SERVICE_MANAGER: expected one of supervise, systemd, command/],
    [{ AGENT_SERVICE_MANAGER: 'systemd' }, /AGENT_SYSTEMD_UNIT: required when AGENT_SERVICE_MANAGER=systemd/],
    [{ AGENT_SUPERVISE_COMMAND: undefined }, /AGENT_SUPERVISE_COMMAND: required/],
    [{ APP_PORT: undefined }, /AGENT_HEALTH_URL: required unless APP_PORT is set/],
    [{ AGENT_MAX_UNPACKED_BYTES: 'lots' }, /AGENT_MAX_UNPACKED_BYTES: expected a size/],
    [{ AGENT_HEARTBEAT: 'often' }, /AGENT_HEARTBEAT: expected a duration/],
    [
      { AGENT_TRUSTED_ROOT: '/nonexistent/root.json' },
      /AGENT_TRUSTED_ROOT: expected the path of a readable TUF root.json/,
    ],
    [{ AGENT_KEEP_RELEASES: '0' }, /AGENT_KEEP_RELEASES: expected a whole number 1-1000/],
    [{ AGENT_LOCK_KEY: 'Cluster lock' }, /AGENT_LOCK_KEY: expected a lock key/],
    [{ AGENT_COMMAND_MAX_AGE: 'ages' }, /AGENT_COMMAND_MAX_AGE: expected a duration/],
    [{ AGENT_UNPACK_TIMEOUT: '100ms' }, /AGENT_UNPACK_TIMEOUT: expected a duration from 1s to 6h/],
    [{ AGENT_UNPACK_TIMEOUT: '7h' }, /AGENT_UNPACK_TIMEOUT: expected a duration from 1s to 6h/],
    [
      { AGENT_NPM_KEYS: '{"keys":[]}', AGENT_NPM_PACKAGE: 'app' },
      /AGENT_NPM_KEYS: expected \{"keys".*\/-\/npm\/v1\/keys/,
    ],
    [{ AGENT_NPM_PACKAGE: 'app' }, /AGENT_NPM_KEYS: required with AGENT_NPM_PACKAGE/],
    [
      { AGENT_ALLOWED_DESTINATIONS: 'everything' },
      /AGENT_ALLOWED_DESTINATIONS: .*"everything" is not an address class keyword/,
    ],
    [{ AGENT_NPM_PACKAGE: 'Not a name!' }, /AGENT_NPM_PACKAGE: expected an npm package name/],
  ])('names the variable of %p', (change, message) => {
    const act = () => loadInstallerConfig({ ...base, ...change });

    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });

  it('limits an unpack to AGENT_UNPACK_TIMEOUT, 10 minutes unless set', () => {
    expect(toAgentSettings(loadInstallerConfig(base)).unpackTimeoutMs).toBe(10 * 60_000);
    expect(toAgentSettings(loadInstallerConfig({ ...base, AGENT_UNPACK_TIMEOUT: '30s' })).unpackTimeoutMs).toBe(30_000);
  });

  it('does not need DATABASE_URL or S3_BUCKET, and ignores a bad DATABASE_URL', () => {
    expect(() => loadInstallerConfig({ ...base, DATABASE_URL: 'mysql://nope' })).not.toThrow();
  });

  it.each([
    ['512MiB', 512 * 1024 * 1024],
    ['2GB', 2e9],
    ['100k', 1e5],
    ['1234', 1234],
    ['x', undefined],
    ['5 parsecs', undefined],
  ])('parses size %s', (text, expected) => {
    expect(parseBytes(text)).toBe(expected);
  });

  it.each([
    ['', {}],
    ['a=1, b=two', { a: '1', b: 'two' }],
    ['a', undefined],
    ['=x', undefined],
  ])('parses labels %p', (text, expected) => {
    expect(parseLabels(text)).toEqual(expected);
  });
});
