import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { currentTraceIds, withSpan } from './span.helpers';
import { initTelemetry, type TelemetryHandle } from './telemetry.init';
import { extractTraceContext, injectTraceContext } from './trace-context.propagation';

describe(withSpan.name, () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: TelemetryHandle;

  beforeAll(() => {
    telemetry = initTelemetry({
      serviceName: 'span-spec',
      enabled: true,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
  });
  afterEach(() => exporter.reset());
  afterAll(() => telemetry.shutdown());

  const finished = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);

  it('returns the result of fn and ends the span with its attributes and kind', async () => {
    const result = await withSpan('rollout.plan', { 'lockstep.cluster': 'c1' }, async () => 42, {
      kind: SpanKind.PRODUCER,
    });

    expect(result).toBe(42);
    expect(finished('rollout.plan')).toMatchObject({
      attributes: { 'lockstep.cluster': 'c1' },
      kind: SpanKind.PRODUCER,
    });
    expect(finished('rollout.plan')?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('makes the span active, so nested spans are its children', async () => {
    await withSpan('outer', {}, () => withSpan('inner', {}, () => undefined));

    const outer = finished('outer')!;
    const inner = finished('inner')!;
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
  });

  it('records a failure with masked secrets, sets ERROR and rethrows', async () => {
    const failing = withSpan('deliver', {}, () => {
      throw new Error('POST failed for secret whsec_c2VjcmV0 at https://u:pw@hooks.example');
    });

    await expect(failing).rejects.toThrow('whsec_c2VjcmV0');
    const span = finished('deliver')!;
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'POST failed for secret whsec_[REDACTED] at https://u:[REDACTED]@hooks.example',
    });
    expect(span.events[0].name).toBe('exception');
    expect(JSON.stringify(span.events)).not.toMatch(/whsec_c2VjcmV0|:pw@/);
  });

  it('uses an explicit parent, e.g. the context extracted from a message', async () => {
    const carrier = new Map<string, string>();
    const headers = { set: (k: string, v: string) => carrier.set(k, v), get: (k: string) => carrier.get(k) };
    await withSpan('publish', {}, () => injectTraceContext(headers), { kind: SpanKind.PRODUCER });

    await withSpan('consume', {}, () => undefined, { parent: extractTraceContext(headers), kind: SpanKind.CONSUMER });

    expect(finished('consume')?.parentSpanContext?.spanId).toBe(finished('publish')?.spanContext().spanId);
  });
});

describe(currentTraceIds.name, () => {
  it('is undefined outside a span and the active ids inside one', async () => {
    const telemetry = initTelemetry({ serviceName: 'ids-spec', enabled: true });

    const inside = await withSpan('x', {}, (span) => ({ ids: currentTraceIds(), expected: span.spanContext() }));
    const outside = currentTraceIds();

    expect(inside.ids).toEqual({ traceId: inside.expected.traceId, spanId: inside.expected.spanId });
    expect(outside).toBeUndefined();
    expect(trace.getActiveSpan()).toBeUndefined();
    await telemetry.shutdown();
  });
});
