import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { withSpan } from './span.helpers';
import { TelemetryAlreadyInitializedError, TelemetryConfigError } from './telemetry.errors';
import { initTelemetry, isTelemetryInitialized, tracesUrlFor } from './telemetry.init';
import { injectTraceContext } from './trace-context.propagation';

describe(initTelemetry.name, () => {
  afterEach(() => expect(isTelemetryInitialized()).toBe(false));

  it('records spans with service.name and service.version on the resource, without an endpoint', async () => {
    const exporter = new InMemorySpanExporter();
    const sut = initTelemetry({
      serviceName: 'checker',
      serviceVersion: '1.2.3',
      enabled: true,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });

    await withSpan('poll', {}, () => undefined);
    const [span] = exporter.getFinishedSpans(); // read before shutdown: it empties the in-memory exporter
    await sut.shutdown();

    expect(sut.tracesUrl).toBeUndefined();
    expect(span.resource.attributes).toMatchObject({ 'service.name': 'checker', 'service.version': '1.2.3' });
  });

  it('refuses a second call while the first handle is live, and allows one after shutdown', async () => {
    const first = initTelemetry({ serviceName: 'api', enabled: true });

    expect(() => initTelemetry({ serviceName: 'api', enabled: true })).toThrow(TelemetryAlreadyInitializedError);
    await first.shutdown();
    await first.shutdown();
    const second = initTelemetry({ serviceName: 'api', enabled: true });
    await second.shutdown();
  });

  it('registers nothing when disabled: spans are no-ops and no traceparent is written', async () => {
    const sut = initTelemetry({ serviceName: 'backup', enabled: false, otlpEndpoint: 'http://127.0.0.1:1' });
    const carrier: Record<string, string> = {};

    const recording = await withSpan('dump', {}, (span) => {
      injectTraceContext({ set: (k, v) => (carrier[k] = v) });
      return span.isRecording();
    });
    await sut.shutdown();

    expect(sut.enabled).toBe(false);
    expect(recording).toBe(false);
    expect(carrier).toEqual({});
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('rejects an endpoint that is not an http(s) URL, naming the expected form', () => {
    const act = () => initTelemetry({ serviceName: 'api', enabled: true, otlpEndpoint: 'grpc://collector:4317' });

    expect(act).toThrow(TelemetryConfigError);
    expect(act).toThrow(/http:\/\/127\.0\.0\.1:4318/);
  });
});

describe(tracesUrlFor.name, () => {
  it.each([
    ['http://127.0.0.1:4318', 'http://127.0.0.1:4318/v1/traces'],
    ['http://127.0.0.1:4318/', 'http://127.0.0.1:4318/v1/traces'],
    ['https://otel.example/base', 'https://otel.example/base/v1/traces'],
    ['http://jaeger:4318/v1/traces', 'http://jaeger:4318/v1/traces'],
  ])('maps %s to %s', (endpoint, expected) => {
    const result = tracesUrlFor(endpoint);

    expect(result).toBe(expected);
  });

  it('does not echo a password in its error', () => {
    const act = () => tracesUrlFor('ftp://u:hunter2@host');

    expect(act).toThrow(/u:\[REDACTED\]@host/);
  });
});
