import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, commonSchema, env, loadConfig, parseDuration, s3Schema } from '@lockstep/config';

describe(loadConfig.name, () => {
  const schema = z.object({ ...commonSchema, RETRY: env.durationList('1s,5s', { min: '1s', max: '1h' }) });

  it('applies defaults', () => {
    const sut = loadConfig('test', schema, {});

    expect(sut.NATS_URL).toEqual(['nats://127.0.0.1:4222']);
    expect(sut.RETRY).toEqual([1000, 5000]);
  });

  it.each([
    ['NATS_URL', 'http://x', /NATS_URL: expected a comma-separated list of nats:\/\//],
    ['HTTP_PORT', 'abc', /HTTP_PORT: expected a TCP port/],
    ['RETRY', '1s,soon', /RETRY: expected a comma-separated list of durations/],
    ['DATABASE_URL', 'mysql://u:pw@h/db', /DATABASE_URL: expected a URL starting with postgres/],
  ])('names %s when it is bad', (key, value, message) => {
    const act = () => loadConfig('test', schema, { [key]: value });

    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });

  it('never echoes any password of a list of URLs', () => {
    const act = () => loadConfig('test', schema, { NATS_URL: 'nats://a:first-pw@h1:4222,http://b:second-pw@h2' });

    expect(act).toThrow(ConfigError);
    expect(act).not.toThrow(/first-pw/);
    expect(act).not.toThrow(/second-pw/);
  });

  it('never echoes a password', () => {
    const act = () => loadConfig('test', schema, { DATABASE_URL: 'mysql://u:hunter2@h/db' });

    expect(act).toThrow(/u:\*\*\*@/);
    expect(act).not.toThrow(/hunter2/);
  });

  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120000],
    ['1h', 3600000],
    ['250', 250],
    ['x', undefined],
  ])('parses duration %s', (v, ms) => {
    expect(parseDuration(v)).toBe(ms);
  });

  describe('<NAME>_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-config-'));
    const file = (name: string, content: string): string => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };

    it('reads a setting from the file named by <NAME>_FILE, without the trailing newline', () => {
      const path = file('db-url', 'postgres://lockstep:fromfile@db:5432/app\n');

      const sut = loadConfig('test', schema, { DATABASE_URL_FILE: path });

      expect(sut.DATABASE_URL).toBe('postgres://lockstep:fromfile@db:5432/app');
    });

    it('refuses a setting given both directly and as a file', () => {
      const path = file('both', 'postgres://a@b/c');

      const act = () => loadConfig('test', schema, { DATABASE_URL: 'postgres://x@y/z', DATABASE_URL_FILE: path });

      expect(act).toThrow(ConfigError);
      expect(act).toThrow(/DATABASE_URL and DATABASE_URL_FILE are both set; set only one/);
    });

    it('names the variable when its file cannot be read', () => {
      const act = () => loadConfig('test', schema, { DATABASE_URL_FILE: join(dir, 'missing') });

      expect(act).toThrow(ConfigError);
      expect(act).toThrow(/DATABASE_URL_FILE: cannot read .*missing/);
    });

    it('validates the value read from the file like any other', () => {
      const path = file('bad-port', 'abc\n');

      const act = () => loadConfig('test', schema, { HTTP_PORT_FILE: path });

      expect(act).toThrow(/HTTP_PORT: expected a TCP port/);
    });

    it('refuses an empty file', () => {
      const path = file('empty', '\n');
      chmodSync(path, 0o600);

      const act = () => loadConfig('test', schema, { DATABASE_URL_FILE: path });

      expect(act).toThrow(/DATABASE_URL_FILE: .* is empty/);
    });
  });

  describe('well-known default S3 credentials', () => {
    const s3 = z.object({ ...commonSchema, ...s3Schema });

    it('has no default credentials', () => {
      const sut = loadConfig('test', s3, {});

      expect(sut.S3_ACCESS_KEY).toBe('');
      expect(sut.S3_SECRET_KEY).toBe('');
    });

    it.each([
      ['minioadmin', 'minioadmin'],
      ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ])('refuses %s unless LOCKSTEP_ALLOW_DEFAULT_CREDENTIALS=true', (accessKey, secretKey) => {
      const input = { S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey };

      const act = () => loadConfig('test', s3, input);
      const allowed = loadConfig('test', s3, { ...input, LOCKSTEP_ALLOW_DEFAULT_CREDENTIALS: 'true' });

      expect(act).toThrow(ConfigError);
      expect(act).toThrow(
        /S3_ACCESS_KEY, S3_SECRET_KEY: .*well-known default credentials.*LOCKSTEP_ALLOW_DEFAULT_CREDENTIALS=true/,
      );
      expect(act).not.toThrow(new RegExp(secretKey));
      expect(allowed.S3_ACCESS_KEY).toBe(accessKey);
    });

    it('accepts credentials of your own', () => {
      const sut = loadConfig('test', s3, { S3_ACCESS_KEY: 'lockstep-prod', S3_SECRET_KEY: 'k9!long-and-random' });

      expect(sut.S3_SECRET_KEY).toBe('k9!long-and-random');
    });
  });
});
