import { Logger } from '@nestjs/common';

/** The logging the agent needs (Nest's Logger fits; tests pass a silent one). */
export interface AgentLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/** A Nest logger with a context name. */
export const agentLogger = (context: string): AgentLogger => new Logger(context);

/** A logger that drops everything. */
export const silentLogger: AgentLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};
