import { context, diag, DiagLogLevel, propagation, trace, type Attributes } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { redactSecrets } from './secret.redaction';
import { TelemetryAlreadyInitializedError, TelemetryConfigError } from './telemetry.errors';

/** Options of {@link initTelemetry}. */
export interface TelemetryOptions {
  /** `service.name` of every span, e.g. 'checker'. */
  serviceName: string;
  /** `service.version`, e.g. the package version. */
  serviceVersion?: string;
  /**
   * OTLP/HTTP base URL, e.g. http://127.0.0.1:4318; spans go to `${otlpEndpoint}/v1/traces`
   * as JSON. Unset: spans are still created and propagated but never exported.
   */
  otlpEndpoint?: string;
  /** false: nothing is registered; spans are no-ops and no trace context is propagated. */
  enabled: boolean;
  /** Delay between batch exports in ms. Default 200, so traces show up quickly. */
  exportDelayMs?: number;
  /** Time limit of one export request in ms. Default 5000, which also bounds shutdown. */
  exportTimeoutMs?: number;
  /** Extra resource attributes, e.g. `deployment.environment.name`. */
  resourceAttributes?: Attributes;
  /** Extra span processors, e.g. a SimpleSpanProcessor over an InMemorySpanExporter in tests. */
  spanProcessors?: SpanProcessor[];
  /** Receives the SDK's warnings and errors (e.g. failed exports), which are otherwise silent. A pino logger fits. */
  diagnostics?: { warn(message: string): void; error(message: string): void };
}

/** A live telemetry setup; one per process at a time. */
export interface TelemetryHandle {
  /** The service name spans carry. */
  readonly serviceName: string;
  /** Whether an SDK is registered (false when `enabled: false`). */
  readonly enabled: boolean;
  /** Where spans are exported, or undefined when they are not. */
  readonly tracesUrl: string | undefined;
  /** Exports every ended span now. Never rejects: a failed export goes to `diagnostics`. */
  forceFlush(): Promise<void>;
  /**
   * Flushes, stops the exporter and unregisters the global provider, context manager and
   * propagator, so `initTelemetry` may be called again (tests). Safe to call twice. Never
   * rejects: an unreachable collector is reported to `diagnostics` and shutdown goes on.
   */
  shutdown(): Promise<void>;
}

const DEFAULT_EXPORT_DELAY_MS = 200;
const DEFAULT_EXPORT_TIMEOUT_MS = 5000;

let live: { serviceName: string } | undefined;

/**
 * Sets up tracing for this process: a NodeTracerProvider registered globally with an
 * AsyncLocalStorage context manager and the W3C TraceContext (+ Baggage) propagator, a
 * BatchSpanProcessor over an OTLP/HTTP JSON exporter when an endpoint is given, and a
 * resource with `service.name`. Call it first in `main.ts`, before `NestFactory.create`,
 * and `await handle.shutdown()` after `app.close()` so the last spans are sent.
 *
 * @throws TelemetryAlreadyInitializedError while an earlier handle is not shut down.
 * @throws TelemetryConfigError when `otlpEndpoint` is not an http(s) URL.
 */
export function initTelemetry(options: TelemetryOptions): TelemetryHandle {
  if (live) throw new TelemetryAlreadyInitializedError(live.serviceName, options.serviceName);
  const { serviceName } = options;
  if (!options.enabled) return disabledHandle(serviceName);
  const tracesUrl = options.otlpEndpoint ? tracesUrlFor(options.otlpEndpoint) : undefined;
  if (options.diagnostics) registerDiagnostics(options.diagnostics);
  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (tracesUrl) {
    const exporter = new OTLPTraceExporter({
      url: tracesUrl,
      timeoutMillis: options.exportTimeoutMs ?? DEFAULT_EXPORT_TIMEOUT_MS,
    });
    spanProcessors.push(
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: options.exportDelayMs ?? DEFAULT_EXPORT_DELAY_MS,
        exportTimeoutMillis: options.exportTimeoutMs ?? DEFAULT_EXPORT_TIMEOUT_MS,
      }),
    );
  }
  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...options.resourceAttributes,
      [ATTR_SERVICE_NAME]: serviceName,
      ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
    }),
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  // contextManager left undefined: the SDK's default is an enabled AsyncLocalStorageContextManager.
  provider.register({
    propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  });
  live = { serviceName };

  // A collector that is down must not fail the service's shutdown: report and carry on.
  const report = (what: string) => (err: unknown) => {
    const message = redactSecrets(
      `[otel] ${what} failed, spans were lost: ${err instanceof Error ? err.message : String(err)}`,
    );
    if (options.diagnostics) options.diagnostics.error(message);
    else diag.error(message);
  };
  let stopping: Promise<void> | undefined;
  return {
    serviceName,
    enabled: true,
    tracesUrl,
    forceFlush: () => provider.forceFlush().catch(report('span export')),
    shutdown() {
      stopping ??= provider
        .shutdown()
        .catch(report('final span export'))
        .finally(() => {
          trace.disable();
          context.disable();
          propagation.disable();
          diag.disable();
          live = undefined;
        });
      return stopping;
    },
  };
}

/** Whether `initTelemetry` has a live (not shut down) handle in this process. */
export function isTelemetryInitialized(): boolean {
  return live !== undefined;
}

function registerDiagnostics(sink: NonNullable<TelemetryOptions['diagnostics']>): void {
  const write =
    (to: (message: string) => void) =>
    (message: string, ...args: unknown[]) =>
      to(
        redactSecrets(['[otel]', message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(' ')),
      );
  const ignore = () => undefined;
  diag.setLogger(
    {
      error: write((m) => sink.error(m)),
      warn: write((m) => sink.warn(m)),
      info: ignore,
      debug: ignore,
      verbose: ignore,
    },
    DiagLogLevel.WARN,
  );
}

function disabledHandle(serviceName: string): TelemetryHandle {
  live = { serviceName };
  let stopped = false;
  return {
    serviceName,
    enabled: false,
    tracesUrl: undefined,
    forceFlush: () => Promise.resolve(),
    shutdown() {
      if (!stopped) {
        stopped = true;
        live = undefined;
      }
      return Promise.resolve();
    },
  };
}

/** `${endpoint}/v1/traces`, tolerating a trailing slash or an endpoint that already names the path. */
export function tracesUrlFor(endpoint: string): string {
  const shown = redactSecrets(endpoint);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (err) {
    throw new TelemetryConfigError(
      `OTLP endpoint "${shown}" is not a URL; expected a base URL like http://127.0.0.1:4318.`,
      { cause: err },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TelemetryConfigError(
      `OTLP endpoint "${shown}" must use http or https (OTLP/HTTP), e.g. http://127.0.0.1:4318.`,
    );
  }
  const base = url.toString().replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}
