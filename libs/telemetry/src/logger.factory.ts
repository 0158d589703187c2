import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { currentTraceIds } from './span.helpers';
import { REDACTED, REDACT_PATHS, redactSecretKeys, redactSecrets } from './secret.redaction';

/** pino level names, plus 'silent' (the values of LOG_LEVEL). */
export type PinoLogLevel = LevelWithSilent;

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Where JSON lines go; default stdout. Tests pass a stream that collects lines. */
  destination?: DestinationStream;
  /** Redact paths on top of {@link REDACT_PATHS}, in pino/fast-redact syntax. */
  redactPaths?: readonly string[];
}

/**
 * A pino JSON logger for one service. Every line carries `service`, an ISO `time`, the
 * level as a name, and — inside a span — `trace_id` and `span_id`, so logs join traces.
 * Values under secret keys (`password`, `token`, `secret`, `secrets`, `authorization`, …) are
 * replaced by `[REDACTED]` at any depth (also inside a logged error's own fields), and each
 * finished line is passed through {@link redactSecrets} so `whsec_…` secrets, `lst_…` tokens,
 * Slack/Discord webhook URLs and database passwords in messages and stacks never reach the output.
 */
export function createLogger(
  serviceName: string,
  level: PinoLogLevel = 'info',
  options: CreateLoggerOptions = {},
): Logger {
  const logger = pino(
    {
      level,
      base: { service: serviceName, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: (object) => redactSecretKeys(object) },
      serializers: { err: (err: Error) => redactSecretKeys(pino.stdSerializers.err(err)) },
      mixin: traceMixin,
      redact: { paths: [...REDACT_PATHS, ...(options.redactPaths ?? [])], censor: REDACTED },
      hooks: { streamWrite: redactSecrets },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return logger;
}

function traceMixin(): { trace_id?: string; span_id?: string } {
  const ids = currentTraceIds();
  return ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}
