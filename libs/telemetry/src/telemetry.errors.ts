/** Codes carried by telemetry errors, stable for matching in callers and tests. */
export const TelemetryErrorCode = {
  AlreadyInitialized: 'TELEMETRY_ALREADY_INITIALIZED',
  InvalidEndpoint: 'TELEMETRY_INVALID_ENDPOINT',
  MetricConflict: 'TELEMETRY_METRIC_CONFLICT',
} as const;

/** One of {@link TelemetryErrorCode}. */
export type TelemetryErrorCode = (typeof TelemetryErrorCode)[keyof typeof TelemetryErrorCode];

/** `initTelemetry` was called while an earlier handle is still live. */
export class TelemetryAlreadyInitializedError extends Error {
  override name = 'TelemetryAlreadyInitializedError';
  /** Always {@link TelemetryErrorCode.AlreadyInitialized}. */
  readonly code = TelemetryErrorCode.AlreadyInitialized;

  constructor(running: string, requested: string) {
    super(
      `initTelemetry was already called for service "${running}" (now asked for "${requested}"). ` +
        'Call it once, first thing in main.ts, or await shutdown() on the previous handle before initialising again.',
    );
  }
}

/** The OTLP endpoint is not an http(s) base URL. */
export class TelemetryConfigError extends Error {
  override name = 'TelemetryConfigError';
  /** Always {@link TelemetryErrorCode.InvalidEndpoint}. */
  readonly code = TelemetryErrorCode.InvalidEndpoint;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A metric name is already registered with a different kind (e.g. a counter asked for as a histogram). */
export class MetricConflictError extends Error {
  override name = 'MetricConflictError';
  /** Always {@link TelemetryErrorCode.MetricConflict}. */
  readonly code = TelemetryErrorCode.MetricConflict;

  constructor(metricName: string, existingKind: string, requestedKind: string) {
    super(
      `metric "${metricName}" is already registered as a ${existingKind}, not a ${requestedKind}; pick another name or ask for a ${existingKind}.`,
    );
  }
}
