import { headers, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SpanKind } from '@opentelemetry/api';
import { startOtlpReceiver, uniqueName, type OtlpReceiver, type ReceivedSpan } from '@lockstep/testing';
import { gzipSync } from 'node:zlib';
import { withSpan } from './span.helpers';
import { initTelemetry } from './telemetry.init';
import {
  extractTraceContext,
  injectTraceContext,
  recordToHeaders,
  traceContextToRecord,
} from './trace-context.propagation';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;

describe('tracing across NATS into an OTLP receiver', () => {
  let receiver: OtlpReceiver;
  let nc: NatsConnection;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    nc = await connect({ servers: natsUrl });
  });
  afterEach(() => receiver.clear());
  afterAll(async () => {
    await nc.close();
    await receiver.stop();
  });

  /** Handles one message on `subject` in a CONSUMER span whose parent comes from the message headers. */
  function consumeOne(subject: string): Promise<void> {
    const sub = nc.subscribe(subject, { max: 1 });
    return (async () => {
      for await (const msg of sub) {
        await withSpan('rollout.consume', { 'messaging.destination.name': msg.subject }, () => undefined, {
          parent: extractTraceContext(msg.headers),
          kind: SpanKind.CONSUMER,
        });
      }
    })();
  }

  it('makes the consumer span a child of the publisher span, and shutdown flushes both', async () => {
    // A long export delay: only shutdown's flush can deliver the spans.
    const telemetry = initTelemetry({
      serviceName: 'int-conductor',
      otlpEndpoint: receiver.endpoint,
      enabled: true,
      exportDelayMs: 60_000,
    });
    const subject = uniqueName('telemetry.int.');
    const consumed = consumeOne(subject);

    await withSpan(
      'rollout.publish',
      {},
      async () => {
        nc.publish(subject, 'payload', { headers: injectTraceContext(headers()) });
        await nc.flush();
      },
      { kind: SpanKind.PRODUCER },
    );
    await consumed;
    const beforeShutdown = receiver.spans();
    await telemetry.shutdown();
    const spans = await receiver.waitForSpans((s) => s.length >= 2, 5000);

    expect(beforeShutdown).toEqual([]);
    const parent = byName(spans, 'rollout.publish');
    const child = byName(spans, 'rollout.consume');
    expect(parent.traceId).toMatch(HEX_TRACE_ID);
    expect(parent.spanId).toMatch(HEX_SPAN_ID);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(parent.parentSpanId).toBeUndefined();
    expect(parent).toMatchObject({ kind: SpanKind.PRODUCER, serviceName: 'int-conductor' });
    expect(child).toMatchObject({ kind: SpanKind.CONSUMER, attributes: { 'messaging.destination.name': subject } });
  });

  it('carries the trace through an outbox record relayed later', async () => {
    const telemetry = initTelemetry({ serviceName: 'int-outbox', otlpEndpoint: receiver.endpoint, enabled: true });
    const subject = uniqueName('telemetry.int.');
    const consumed = consumeOne(subject);

    const row = await withSpan('rollout.start', {}, () => ({ trace: JSON.stringify(traceContextToRecord()) }));
    nc.publish(subject, 'payload', {
      headers: recordToHeaders(JSON.parse(row.trace) as Record<string, string>, headers()),
    });
    await consumed;
    await telemetry.shutdown();
    const spans = await receiver.waitForSpans((s) => s.length >= 2, 5000);

    expect(byName(spans, 'rollout.consume').parentSpanId).toBe(byName(spans, 'rollout.start').spanId);
  });

  it('exports on the scheduled delay without any flush', async () => {
    const telemetry = initTelemetry({
      serviceName: 'int-batch',
      otlpEndpoint: receiver.endpoint,
      enabled: true,
      exportDelayMs: 50,
    });

    await withSpan('tick', { n: 1, ok: true, ratio: 0.5 }, () => undefined);
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'tick'), 5000);
    await telemetry.shutdown();

    expect(byName(spans, 'tick')).toMatchObject({
      serviceName: 'int-batch',
      attributes: { n: 1, ok: true, ratio: 0.5 },
    });
  });

  it('reports a failed export to the diagnostics sink, and shutdown still resolves', async () => {
    const errors: string[] = [];
    const telemetry = initTelemetry({
      serviceName: 'int-diag',
      otlpEndpoint: `${receiver.endpoint}/no-collector-here`,
      enabled: true,
      diagnostics: { warn: (m) => errors.push(m), error: (m) => errors.push(m) },
    });

    await withSpan('lost', {}, () => undefined);
    await telemetry.shutdown();

    expect(errors.join('\n')).toMatch(/404|Not Found/);
  });

  it('receiver: rejects protobuf with 415 and accepts gzip-encoded JSON', async () => {
    const url = `${receiver.endpoint}/v1/traces`;
    const request = {
      resourceSpans: [
        { scopeSpans: [{ spans: [{ traceId: 'S+fGT0DfKg0xq7MVzfnOZQ==', spanId: 'ABEiM0RVZnc=', name: 'b64' }] }] },
      ],
    };

    const proto = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([0x0a, 0x00]),
    });
    const gzipped = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(request)),
    });

    expect(proto.status).toBe(415);
    expect(gzipped.status).toBe(200);
    expect(receiver.spans()).toEqual([
      expect.objectContaining({ name: 'b64', traceId: '4be7c64f40df2a0d31abb315cdf9ce65', spanId: '0011223344556677' }),
    ]);
  });
});

function byName(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name}; got ${spans.map((s) => s.name).join(', ')}`);
  return span;
}
