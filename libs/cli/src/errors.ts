import { CodedError } from '@lockstep/contracts';

/** Exit codes of the CLI. */
export const ExitCode = {
  Ok: 0,
  /** The command ran and failed (the server refused, a check failed, S3 was unreachable). */
  Failure: 1,
  /** The command line itself is wrong; nothing was sent anywhere. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Codes of the CLI's own failures, printed as `error.code` with --json (wire names: scripts match them). */
export const CliErrorCode = {
  Failure: 'CLI_FAILURE',
  /** The command line is wrong. */
  Usage: 'USAGE',
  ApiUnreachable: 'API_UNREACHABLE',
  /** A failure the CLI did not expect (a bug); the message carries the stack. */
  Unexpected: 'UNEXPECTED',
  /** A verify found the backup damaged (the backup engine's code). */
  BackupCorrupted: 'BACKUP_CORRUPTED',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/** A failure the CLI reports as `error: <message>` on stderr; the message says what to do next. */
export class CliError extends CodedError {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Failure,
    /** Machine-readable code: a {@link CliErrorCode}, the API's when it came from the API, or one naming the final state. */
    code: string = CliErrorCode.Failure,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The command line is wrong (bad value, missing option); exits 2 before anything is sent. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.Usage, CliErrorCode.Usage, options);
  }
}
