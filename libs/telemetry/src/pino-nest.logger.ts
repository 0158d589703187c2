import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/** Nest level → pino level. Nest's 'verbose' is its most detailed, like pino's 'trace'. */
const NEST_TO_PINO = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
} as const satisfies Record<NestLogLevel, Level>;

/** pino levels from least to most detailed. */
const PINO_ORDER: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** The shape Nest gives stacks: a first line, then `    at file:line:col` frames. */
const STACK_FORMAT = /^(.)+\n\s+at .+:\d+:\d+/;

/**
 * Nest `LoggerService` that writes through a pino logger, so Nest's own messages
 * (bootstrap, route mapping, unhandled exceptions) come out as the same JSON lines,
 * with trace ids and redaction. Use: `NestFactory.create(AppModule, { logger: new
 * PinoNestLogger(createLogger('api', level)) })`. Nest's trailing context argument
 * becomes the `context` field; an error's stack becomes `stack`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  /** Nest 'log' → pino info. */
  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('log', message, optionalParams);
  }

  /** Nest error: `(message, stack?, context?)`; an Error message is logged as `err`. */
  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }

  /** Nest warn. */
  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  /** Nest debug. */
  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  /** Nest verbose → pino trace. */
  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('verbose', message, optionalParams);
  }

  /** Nest fatal. */
  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  /** Sets the pino level to the most detailed of the enabled Nest levels ('silent' for none). */
  setLogLevels(levels: NestLogLevel[]): void {
    const enabled = new Set<Level>(levels.map((l) => NEST_TO_PINO[l]));
    const mostDetailed = [...PINO_ORDER].reverse().find((l) => enabled.has(l));
    this.logger.level = mostDetailed ?? 'silent';
  }

  private write(level: NestLogLevel, message: unknown, optionalParams: unknown[]): void {
    const params = [...optionalParams];
    const fields: Record<string, unknown> = {};
    const mayCarryStack = level === 'error' || level === 'fatal';
    const onlyParamIsStack = mayCarryStack && params.length === 1 && isStack(params[0]);

    if (typeof params.at(-1) === 'string' && !onlyParamIsStack) fields.context = params.pop();
    if (mayCarryStack && params.length > 0 && (params.at(-1) === undefined || typeof params.at(-1) === 'string')) {
      const stack = params.pop();
      if (stack !== undefined) fields.stack = stack;
    }
    if (params.length > 0) fields.params = params;

    const pinoLevel = NEST_TO_PINO[level];
    if (message instanceof Error) {
      this.logger[pinoLevel]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[pinoLevel]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.logger[pinoLevel](fields, String(message));
    }
  }
}

function isStack(value: unknown): boolean {
  return typeof value === 'string' && STACK_FORMAT.test(value);
}
