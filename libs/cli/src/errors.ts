/** Exit codes of the CLI. */
export const ExitCode = {
  Ok: 0,
  /** The command ran and failed (the server refused, a check failed, S3 was unreachable). */
  Failure: 1,
  /** The command line itself is wrong; nothing was sent anywhere. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI reports as `error: <message>` on stderr; the message says what to do next. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Failure,
    /** Machine-readable code (the API's, when it came from the API). */
    readonly code = 'CLI_FAILURE',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The command line is wrong (bad value, missing option); exits 2 before anything is sent. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.Usage, 'USAGE', options);
  }
}
