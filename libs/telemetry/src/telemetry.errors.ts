import { CodedError } from '@lockstep/contracts';

/** Codes carried by telemetry errors, stable for matching in callers and tests. */
export const TelemetryErrorCode = {
  AlreadyInitialized: 'TELEMETRY_ALREADY_INITIALIZED',
  InvalidEndpoint: 'TELEMETRY_INVALID_ENDPOINT',
  MetricConflict: 'TELEMETRY_METRIC_CONFLICT',
} as const;

/** One of {@link TelemetryErrorCode}. */
export type TelemetryErrorCode = (typeof TelemetryErrorCode)[keyof typeof TelemetryErrorCode];

/** `initTelemetry` was called while an earlier handle is still live. */
export class TelemetryAlreadyInitializedError extends CodedError<typeof TelemetryErrorCode.AlreadyInitialized> {
  override name = 'TelemetryAlreadyInitializedError';

  constructor(running: string, requested: string) {
    super(
      TelemetryErrorCode.AlreadyInitialized,
      `initTelemetry was already called for service "${running}" (now asked for "${requested}"). ` +
        'Call it once, first thing in main.ts, or await shutdown() on the previous handle before initialising again.',
    );
  }
}

/** The OTLP endpoint is not an http(s) base URL. */
export class TelemetryConfigError extends CodedError<typeof TelemetryErrorCode.InvalidEndpoint> {
  override name = 'TelemetryConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(TelemetryErrorCode.InvalidEndpoint, message, options);
  }
}

/** A metric name is already registered with a different kind (e.g. a counter asked for as a histogram). */
export class MetricConflictError extends CodedError<typeof TelemetryErrorCode.MetricConflict> {
  override name = 'MetricConflictError';

  constructor(metricName: string, existingKind: string, requestedKind: string) {
    super(
      TelemetryErrorCode.MetricConflict,
      `metric "${metricName}" is already registered as a ${existingKind}, not a ${requestedKind}; pick another name or ask for a ${existingKind}.`,
    );
  }
}
