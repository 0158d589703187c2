import {
  context,
  isSpanContextValid,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { redactSecrets } from './secret.redaction';

/** Instrumentation scope of every span Lockstep code starts through these helpers. */
export const TRACER_NAME = '@lockstep/telemetry';

/** Options of {@link withSpan}. */
export interface WithSpanOptions {
  /** Parent context, e.g. from `extractTraceContext(msg.headers)`; default: the active context. */
  parent?: Context;
  /** Span kind; PRODUCER when publishing, CONSUMER when handling a message. Default INTERNAL. */
  kind?: SpanKind;
  /** Links to other traces, e.g. the messages a batch was built from. */
  links?: Link[];
}

/**
 * Runs `fn` inside a new active span, so spans and logs made within it are its children.
 * A throw (or rejection) is recorded as an exception event and ERROR status, with secrets
 * masked, and rethrown; the span always ends. Success leaves the status UNSET, as the
 * OpenTelemetry spec asks of instrumentation.
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
  options: WithSpanOptions = {},
): Promise<T> {
  // Looked up per call: after a shutdown and re-init the global provider is a new one.
  const tracer = trace.getTracer(TRACER_NAME);
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes, links: options.links },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        recordSpanError(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Records `err` on `span` as an exception event and sets ERROR status; secrets in the message and stack are masked. */
export function recordSpanError(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  const message = redactSecrets(error.message);
  span.recordException({
    name: error.name,
    message,
    stack: error.stack === undefined ? undefined : redactSecrets(error.stack),
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Hex ids of the active span, or undefined outside a (valid) span. */
export function currentTraceIds(ctx: Context = context.active()): { traceId: string; spanId: string } | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}
