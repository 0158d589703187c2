export { initTelemetry, type TelemetryHandle } from './telemetry.init';
export {
  injectTraceContext,
  extractTraceContext,
  traceContextToRecord,
  traceContextFromRecord,
  recordToHeaders,
} from './trace-context.propagation';
export { withSpan } from './span.helpers';
export { createLogger } from './logger.factory';
export * from './pino-nest.logger';
export { MetricsRegistry } from './metrics.registry';
export { TelemetryModule } from './telemetry.module';
export { MetricsController } from './metrics.controller';
export { REDACTED, REDACTED_KEYS, isSecretKey, redactSecretKeys, redactSecrets } from './secret.redaction';
