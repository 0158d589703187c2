import { CodedError, RequirementErrorCode } from '@lockstep/contracts';

/** Error codes raised by the versioning lib. */
export const VersioningErrorCode = {
  InvalidVersion: 'VERSION_INVALID',
  UnknownScheme: 'VERSION_SCHEME_UNKNOWN',
  UnknownChannel: 'CHANNEL_UNKNOWN',
  InvalidRange: RequirementErrorCode.InvalidRange,
  DependencyCycle: RequirementErrorCode.DependencyCycle,
} as const;
export type VersioningErrorCode = (typeof VersioningErrorCode)[keyof typeof VersioningErrorCode];

/** Longest slice of a rejected input quoted back in a message, so a garbage string cannot flood the logs. */
const QUOTE_LIMIT = 80;

/** Quotes a user-supplied value for an error message, truncated and JSON-escaped. */
function quote(value: unknown): string {
  if (typeof value !== 'string') return `a ${value === null ? 'null' : typeof value}`;
  return JSON.stringify(value.length > QUOTE_LIMIT ? `${value.slice(0, QUOTE_LIMIT)}…` : value);
}

/** A version string does not follow its scheme. The message names the scheme and shows the expected form. */
export class InvalidVersionError extends CodedError<typeof VersioningErrorCode.InvalidVersion> {
  override name = 'InvalidVersionError';
  constructor(
    /** Scheme id the version was checked against. */
    readonly scheme: string,
    /** The rejected input. */
    readonly version: unknown,
    /** Human description of the expected form, with examples. */
    readonly expected: string,
    options?: { cause?: unknown },
  ) {
    super(
      VersioningErrorCode.InvalidVersion,
      `${quote(version)} is not a valid ${scheme} version; expected ${expected}. ` +
        `Fix the version string, or set the component's version scheme to the one its releases use.`,
      options,
    );
  }
}

/** A version scheme id is not registered. The message lists the valid ids. */
export class UnknownVersionSchemeError extends CodedError<typeof VersioningErrorCode.UnknownScheme> {
  override name = 'UnknownVersionSchemeError';
  constructor(
    /** The id that was asked for. */
    readonly scheme: unknown,
    /** Ids that are registered. */
    readonly validIds: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      VersioningErrorCode.UnknownScheme,
      `unknown version scheme ${quote(scheme)}; use one of: ${validIds.join(', ')}`,
      options,
    );
  }
}

/** A release channel name is not one of the known channels. The message lists the valid ones. */
export class UnknownReleaseChannelError extends CodedError<typeof VersioningErrorCode.UnknownChannel> {
  override name = 'UnknownReleaseChannelError';
  constructor(
    /** The rejected channel name. */
    readonly channel: unknown,
    /** Channel names that exist. */
    readonly validChannels: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      VersioningErrorCode.UnknownChannel,
      `unknown release channel ${quote(channel)}; use one of: ${validChannels.join(', ')}`,
      options,
    );
  }
}

/**
 * A version range the scheme cannot read (`scheme`: its id, `range`: the rejected input). The
 * message shows the forms it can.
 */
export class InvalidVersionRangeError extends CodedError<typeof VersioningErrorCode.InvalidRange> {
  override name = 'InvalidVersionRangeError';
  readonly scheme: string;
  readonly range: unknown;
  constructor(scheme: string, range: unknown, expected: string) {
    super(
      VersioningErrorCode.InvalidRange,
      `${quote(range)} is not a version range of the ${scheme} scheme; expected ${expected}`,
    );
    this.scheme = scheme;
    this.range = range;
  }
}

/**
 * Components depend on each other in a cycle, so no order updates them one after another.
 * The message names the cycle (`config → app → config`).
 */
export class DependencyCycleError extends CodedError<typeof VersioningErrorCode.DependencyCycle> {
  override name = 'DependencyCycleError';
  constructor(
    /** The cycle, first component repeated at the end: `['config', 'app', 'config']`. */
    readonly cycle: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      VersioningErrorCode.DependencyCycle,
      `components depend on each other in a cycle: ${formatCycle(cycle)}; ` +
        `remove one of these requirements (lockstep components add NAME --requires ...) so one can update first`,
      options,
    );
  }
}

/** A cycle as people read it: `config → app → config`. */
export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' → ');
}
