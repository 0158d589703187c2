import { z } from 'zod';
import { ConfigError, commonSchema, env, loadConfig, parseDuration } from '@lockstep/config';

describe(loadConfig.name, () => {
  const schema = z.object({ ...commonSchema, RETRY: env.durationList('1s,5s') });

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
});
