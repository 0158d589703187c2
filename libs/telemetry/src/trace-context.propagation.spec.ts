import { headers } from '@nats-io/nats-core';
import { context, trace } from '@opentelemetry/api';
import { withSpan } from './span.helpers';
import { initTelemetry, type TelemetryHandle } from './telemetry.init';
import {
  extractTraceContext,
  injectTraceContext,
  recordToHeaders,
  traceContextFromRecord,
  traceContextToRecord,
} from './trace-context.propagation';

describe('trace context propagation', () => {
  let telemetry: TelemetryHandle;

  beforeAll(() => {
    telemetry = initTelemetry({ serviceName: 'propagation-spec', enabled: true });
  });
  afterAll(() => telemetry.shutdown());

  describe(injectTraceContext.name, () => {
    it('writes a W3C traceparent for the active span into nats.js headers', async () => {
      const sut = headers();

      const ids = await withSpan('publish', {}, (span) => {
        injectTraceContext(sut);
        return span.spanContext();
      });

      expect(sut.get('traceparent')).toBe(`00-${ids.traceId}-${ids.spanId}-01`);
    });

    it('writes nothing outside a span', () => {
      const sut = headers();

      injectTraceContext(sut);

      expect(sut.keys()).toEqual([]);
    });
  });

  describe(extractTraceContext.name, () => {
    it('gives back the publisher span as a remote parent', async () => {
      const h = headers();
      const sent = await withSpan('publish', {}, (span) => {
        injectTraceContext(h);
        return span.spanContext();
      });

      const sut = trace.getSpanContext(extractTraceContext(h));

      expect(sut).toMatchObject({ traceId: sent.traceId, spanId: sent.spanId, isRemote: true });
    });

    it('finds a header sent as Traceparent by another client', () => {
      const h = headers();
      h.set('Traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');

      const sut = trace.getSpanContext(extractTraceContext(h));

      expect(sut?.spanId).toBe('b7ad6b7169203331');
    });

    it.each([
      ['no headers', undefined],
      ['headers without traceparent', headers()],
    ])('starts a new trace given %s, even inside a span', async (_what, h) => {
      const sut = await withSpan('consumer-loop', {}, () => extractTraceContext(h));

      expect(trace.getSpanContext(sut)).toBeUndefined();
    });
  });

  describe(traceContextToRecord.name, () => {
    it('round-trips through a stored record and back into headers', async () => {
      const { record, sent } = await withSpan('write-outbox-row', {}, (span) => ({
        record: traceContextToRecord(),
        sent: span.spanContext(),
      }));
      const stored = JSON.parse(JSON.stringify(record)) as Record<string, string>;

      const fromRecord = trace.getSpanContext(traceContextFromRecord(stored));
      const fromHeaders = trace.getSpanContext(extractTraceContext(recordToHeaders(stored, headers())));

      expect(fromRecord?.spanId).toBe(sent.spanId);
      expect(fromHeaders?.spanId).toBe(sent.spanId);
    });

    it('is empty outside a span, and an empty record starts a new trace', () => {
      const record = traceContextToRecord(context.active());

      const sut = traceContextFromRecord(record);

      expect(record).toEqual({});
      expect(trace.getSpanContext(sut)).toBeUndefined();
    });
  });
});
