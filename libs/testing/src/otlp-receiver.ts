import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * One span as received, flattened out of OTLP's resource → scope → span nesting. Ids are
 * lowercase hex (the OTLP/JSON encoding; base64 ids from other senders are converted).
 */
export interface ReceivedSpan {
  /** 32 hex chars. */
  traceId: string;
  /** 16 hex chars. */
  spanId: string;
  /** 16 hex chars, or undefined for a root span. */
  parentSpanId: string | undefined;
  /** Span name. */
  name: string;
  /** The resource's `service.name`. */
  serviceName: string | undefined;
  /** Span attributes as plain JS values (int64 strings become numbers). */
  attributes: Record<string, unknown>;
  /** As `SpanKind` of @opentelemetry/api (INTERNAL 0 … CONSUMER 4); OTLP's wire value minus one. */
  kind: number;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** Names of the span's events, e.g. 'exception'. */
  events: string[];
}

/** A running OTLP/HTTP receiver on loopback, standing in for a collector or Jaeger in tests. */
export interface OtlpReceiver {
  /** Base URL to give `initTelemetry({ otlpEndpoint })`, e.g. http://127.0.0.1:40123. */
  readonly endpoint: string;
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /**
   * Resolves with all spans received so far once `predicate(spans)` holds: checked now and
   * after each accepted POST (no polling). Rejects after `timeoutMs` (default 10 s) listing
   * what did arrive.
   */
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Forgets the spans received so far. */
  clear(): void;
  /** Closes the server and any kept-alive exporter connections; pending waits reject. */
  stop(): Promise<void>;
}

interface Waiter {
  predicate: (spans: ReceivedSpan[]) => boolean;
  resolve: (spans: ReceivedSpan[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Starts an OTLP/HTTP receiver on 127.0.0.1 (port 0 = free port). It accepts JSON
 * (`application/json`, optionally gzip-encoded) at `/v1/traces`, which is what
 * @opentelemetry/exporter-trace-otlp-http sends; protobuf gets 415. `/v1/metrics` and
 * `/v1/logs` are accepted and ignored.
 */
export async function startOtlpReceiver(options: { port?: number } = {}): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  let waiters: Waiter[] = [];

  const settle = (): void => {
    const snapshot = [...received];
    const done = waiters.filter((w) => safePredicate(w.predicate, snapshot));
    waiters = waiters.filter((w) => !done.includes(w));
    for (const w of done) {
      clearTimeout(w.timer);
      w.resolve(snapshot);
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res, (spans) => {
      received.push(...spans);
      settle();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    clear: () => void received.splice(0),
    waitForSpans(predicate, timeoutMs = 10000) {
      const snapshot = [...received];
      if (safePredicate(predicate, snapshot)) return Promise.resolve(snapshot);
      return new Promise<ReceivedSpan[]>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters = waiters.filter((w) => w !== waiter);
            const seen = received.map((s) => `${s.serviceName ?? '?'}:${s.name}`).join(', ') || 'none';
            reject(new Error(`OTLP receiver: no matching spans within ${timeoutMs} ms; received: ${seen}`));
          }, timeoutMs),
        };
        waiters.push(waiter);
      });
    },
    async stop() {
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new Error('OTLP receiver stopped'));
      }
      waiters = [];
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  accept: (spans: ReceivedSpan[]) => void,
): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'POST' || !['/v1/traces', '/v1/metrics', '/v1/logs'].includes(path)) {
    return reply(res, 404, { error: `no OTLP endpoint at ${req.method} ${path}` });
  }
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  let body: Buffer;
  try {
    body = await readBody(req);
    if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') body = gunzipSync(body);
  } catch (err) {
    return reply(res, 400, { error: `unreadable body: ${(err as Error).message}` });
  }
  if (contentType !== 'application/json') {
    return reply(res, 415, {
      error: `only OTLP/JSON (application/json) is supported, got ${contentType || 'no content type'}`,
    });
  }
  if (path !== '/v1/traces') return reply(res, 200, {});
  let spans: ReceivedSpan[];
  try {
    spans = flattenTraces(JSON.parse(body.toString('utf8')));
  } catch (err) {
    return reply(res, 400, { error: `not an OTLP ExportTraceServiceRequest: ${(err as Error).message}` });
  }
  accept(spans);
  // An empty ExportTraceServiceResponse: full success.
  reply(res, 200, {});
}

interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: OtlpKeyValue[];
  status?: { code?: number };
  events?: Array<{ name: string }>;
}
interface OtlpTraceRequest {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

function flattenTraces(request: OtlpTraceRequest): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = toRecord(rs.resource?.attributes);
    const serviceName = typeof resource['service.name'] === 'string' ? resource['service.name'] : undefined;
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        out.push({
          traceId: toHexId(span.traceId, 16),
          spanId: toHexId(span.spanId, 8),
          parentSpanId: span.parentSpanId ? toHexId(span.parentSpanId, 8) : undefined,
          name: span.name,
          serviceName,
          attributes: toRecord(span.attributes),
          kind: Math.max(0, (span.kind ?? 1) - 1),
          statusCode: span.status?.code ?? 0,
          events: (span.events ?? []).map((e) => e.name),
        });
      }
    }
  }
  return out;
}

/** OTLP/JSON ids are hex; protobuf's canonical JSON mapping would give base64. Accept both. */
function toHexId(id: string, bytes: number): string {
  if (new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(id)) return id.toLowerCase();
  const decoded = Buffer.from(id, 'base64');
  return decoded.length === bytes ? decoded.toString('hex') : id;
}

function toRecord(kvs: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const kv of kvs ?? []) record[kv.key] = toValue(kv.value);
  return record;
}

function toValue(v: OtlpAnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(toValue);
  if (v.kvlistValue) return toRecord(v.kvlistValue.values);
  return undefined;
}

function safePredicate(predicate: (spans: ReceivedSpan[]) => boolean, spans: ReceivedSpan[]): boolean {
  try {
    return predicate(spans);
  } catch {
    return false;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
