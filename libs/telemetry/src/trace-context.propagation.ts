import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

/** The writable side of nats.js v3 `MsgHdrs` (or anything with `set`). */
export interface TraceHeadersWriter {
  /** Sets one header, replacing earlier values. */
  set(key: string, value: string): void;
}

/** The readable side of nats.js v3 `MsgHdrs`: `get` returns '' when the header is absent. */
export interface TraceHeadersReader {
  /** The header's value ('' or undefined when absent). */
  get(key: string): string | undefined | null;
  /** Header names as sent; used for a case-insensitive fallback (`Traceparent`). */
  keys?(): Iterable<string>;
}

/** Trace context stored as plain strings, e.g. in an outbox row's jsonb column. */
export type TraceContextRecord = Record<string, string>;

const headersSetter: TextMapSetter<TraceHeadersWriter> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const headersGetter: TextMapGetter<TraceHeadersReader> = {
  get(carrier, key) {
    const exact = carrier.get(key);
    if (exact) return exact;
    // nats.js matches names exactly by default; another client may have sent `Traceparent`.
    const lower = key.toLowerCase();
    for (const name of carrier.keys?.() ?? []) {
      if (name.toLowerCase() === lower) return carrier.get(name) || undefined;
    }
    return undefined;
  },
  keys: (carrier) => [...(carrier.keys?.() ?? [])],
};

const recordGetter: TextMapGetter<TraceContextRecord> = {
  get(carrier, key) {
    if (carrier[key]) return carrier[key];
    const lower = key.toLowerCase();
    const name = Object.keys(carrier).find((k) => k.toLowerCase() === lower);
    return name ? carrier[name] : undefined;
  },
  keys: (carrier) => Object.keys(carrier),
};

/**
 * Writes the trace context (W3C `traceparent`/`tracestate`) of `ctx`, by default the
 * active one, into NATS message headers. Without an active span nothing is written.
 */
export function injectTraceContext<H extends TraceHeadersWriter>(headers: H, ctx: Context = context.active()): H {
  propagation.inject(ctx, headers, headersSetter);
  return headers;
}

/**
 * The context carried by a received message's headers, to use as the `parent` of the
 * consumer's span. It is built on the root context (not the active one), so a consumer
 * loop started inside some span never adopts that span as every message's parent;
 * without headers, or without `traceparent`, the result starts a new trace.
 */
export function extractTraceContext(
  headers: TraceHeadersReader | undefined | null,
  base: Context = ROOT_CONTEXT,
): Context {
  if (!headers) return base;
  return propagation.extract(base, headers, headersGetter);
}

/** The trace context of `ctx` (default: active) as a plain record, to store next to an outbox row. */
export function traceContextToRecord(ctx: Context = context.active()): TraceContextRecord {
  const record: TraceContextRecord = {};
  propagation.inject(ctx, record);
  return record;
}

/** The context stored by {@link traceContextToRecord}; a new trace when the record is empty or missing. */
export function traceContextFromRecord(
  record: TraceContextRecord | null | undefined,
  base: Context = ROOT_CONTEXT,
): Context {
  if (!record) return base;
  return propagation.extract(base, record, recordGetter);
}

/** Copies a stored record into NATS headers, e.g. when the outbox relay publishes a row. */
export function recordToHeaders<H extends TraceHeadersWriter>(
  record: TraceContextRecord | null | undefined,
  headers: H,
): H {
  for (const [key, value] of Object.entries(record ?? {})) headers.set(key, value);
  return headers;
}
