/** Where the checker reads time for decisions about metadata expiry; tests move it. */
export type CheckerClock = () => Date;

/** Injection token of the CheckerClock. */
export const CHECKER_CLOCK = Symbol('CHECKER_CLOCK');

/** The process clock. */
export const systemClock: CheckerClock = () => new Date();
