import { createLogger } from './logger.factory';
import { withSpan } from './span.helpers';
import { initTelemetry, type TelemetryHandle } from './telemetry.init';

/** A pino destination that keeps each JSON line, parsed. */
function collectLines() {
  const raw: string[] = [];
  return {
    destination: { write: (line: string) => void raw.push(line) },
    raw,
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe(createLogger.name, () => {
  let telemetry: TelemetryHandle;

  beforeAll(() => {
    telemetry = initTelemetry({ serviceName: 'logger-spec', enabled: true });
  });
  afterAll(() => telemetry.shutdown());

  it('puts trace_id and span_id of the active span on a line logged inside it', async () => {
    const out = collectLines();
    const sut = createLogger('checker', 'info', out);

    const ids = await withSpan('poll', {}, (span) => {
      sut.info('polling');
      return span.spanContext();
    });
    sut.info('idle');

    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({
      msg: 'polling',
      service: 'checker',
      level: 'info',
      trace_id: ids.traceId,
      span_id: ids.spanId,
    });
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('hides a whsec_ secret and a URL password in the message and in error stacks', () => {
    const out = collectLines();
    const sut = createLogger('notifier', 'info', out);

    sut.info('signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    sut.error({ err: new Error('cannot reach postgres://lockstep:hunter2@db/app') }, 'db down');

    const text = out.raw.join('');
    expect(text).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(text).not.toContain('hunter2');
    expect(out.lines()[0].msg).toBe('signing with whsec_[REDACTED]');
  });

  it.each([
    ['a top-level password', { password: 'p1' }, 'p1'],
    ['a nested secret', { endpoint: { url: 'https://x', secret: 'p2' } }, 'p2'],
    ['an authorization header', { req: { headers: { authorization: 'Token p3' } } }, 'p3'],
    ['a webhook signing secret', { subscription: { webhookSecret: 'p4' } }, 'p4'],
    ['an API key header', { headers: { 'x-api-key': 'p5' } }, 'p5'],
  ])('redacts %s by key', (_what, fields, secret) => {
    const out = collectLines();
    const sut = createLogger('api', 'info', out);

    sut.info(fields, 'request');

    expect(out.raw[0]).not.toContain(secret);
    expect(out.raw[0]).toContain('[REDACTED]');
  });

  it('drops lines below its level', () => {
    const out = collectLines();
    const sut = createLogger('api', 'warn', out);

    sut.info('chatty');
    sut.warn('careful');

    expect(out.lines().map((l) => l.msg)).toEqual(['careful']);
  });
});

describe('createLogger redaction of every secret form', () => {
  const SECRETS = {
    slackServices: 'T0AAA/B0BBB/SlackServicesSecret1',
    slackTriggers: 'T0AAA/A0CCC/4111/SlackTriggersSecret2',
    slackWorkflows: 'T0AAA/A0DDD/4222/SlackWorkflowsSecret3',
    discordV10: 'DiscordV10Secret-abc_def',
    discordPlain: 'DiscordPlainSecret-ghi_jkl',
    discordApp: 'DiscordAppSecret-mno_pqr',
    whsec: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    libpq: 'LibpqPassw0rd',
    libpqQuoted: 'Quoted Libpq Pass',
    urlPass: 'UrlPassw0rd',
    apiToken: 'lst_AbCdEfGhIjKlMnOpQrStUvWxYz012345',
    deepSecret: 'DeepKeySecret42',
    deepPassword: 'DeepKeyPassword42',
    deepAuthorization: 'DeepKeyAuthorization42',
    deepToken: 'DeepKeyToken42',
  } as const;

  const logged: Array<[string, Record<string, unknown> | string]> = [
    ['a Slack /services/ URL', { a: { b: { c: { d: `https://hooks.slack.com/services/${SECRETS.slackServices}` } } } }],
    ['a Slack /triggers/ URL', `posting to https://hooks.slack.com/triggers/${SECRETS.slackTriggers}`],
    ['a Slack /workflows/ URL', { target: { url: `https://hooks.slack.com/workflows/${SECRETS.slackWorkflows}` } }],
    ['a Discord /api/v10/ webhook URL', `https://discord.com/api/v10/webhooks/1234567890/${SECRETS.discordV10}`],
    ['a Discord /api/ webhook URL', { x: [{ url: `https://discord.com/api/webhooks/99/${SECRETS.discordPlain}` }] }],
    ['a discordapp.com webhook URL', `https://discordapp.com/api/v9/webhooks/12/${SECRETS.discordApp}?wait=true`],
    ['the secrets key of a subscription', { l1: { l2: { l3: { target: { secrets: [`whsec_${SECRETS.whsec}`] } } } } }],
    ['a libpq password= string', { db: { conninfo: `host=db user=lockstep password=${SECRETS.libpq} dbname=x` } }],
    ['a quoted libpq password', `host=db password='${SECRETS.libpqQuoted}' dbname=x`],
    ['a postgres:// URL password', { deep: { deeper: { deepest: `postgres://u:${SECRETS.urlPass}@db/app` } } }],
    ['an lst_ API token', `token from CLI ${SECRETS.apiToken} was refused`],
    ['a secret key four levels deep', { a: { b: { c: { d: { secret: SECRETS.deepSecret } } } } }],
    ['a password key in an array', { users: [{ name: 'x', Password: SECRETS.deepPassword }] }],
    ['an authorization key deep down', { a: { b: { c: { headers: { Authorization: SECRETS.deepAuthorization } } } } }],
    ['a token key deep down', { a: { b: { c: { d: { e: { token: SECRETS.deepToken } } } } } }],
  ];

  it.each(logged)('keeps %s out of the output', (_what, value) => {
    const out = collectLines();
    const sut = createLogger('notifier', 'info', out);

    if (typeof value === 'string') sut.info(value);
    else sut.info(value, 'logged');
    sut.error(
      { err: Object.assign(new Error(typeof value === 'string' ? value : 'failed'), { details: value }) },
      'failed',
    );

    const text = out.raw.join('');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
    expect(() => out.lines()).not.toThrow();
  });

  it('leaves the logged object itself untouched', () => {
    const out = collectLines();
    const sut = createLogger('notifier', 'info', out);
    const value = { a: { b: { c: { d: { secret: 's' } } } } };

    sut.info(value, 'logged');

    expect(value.a.b.c.d.secret).toBe('s');
  });
});
