/**
 * Base of Lockstep's errors: a stable, machine-readable `code` (an `as const` value of the
 * raising lib) and a message that says what went wrong and what to do next. Subclasses set
 * `name`; `cause` keeps the underlying failure.
 */
export class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
