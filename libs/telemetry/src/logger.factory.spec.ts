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
