/**
 * How a handler's failure counts toward dead-lettering:
 * - `outage`: an infrastructure dependency (Postgres, NATS, S3, a network path) is unreachable
 *   or restarting; the work itself did not fail. Waited out, never counted.
 * - `connection-lost`: the handler's own database connection ended with no word from the
 *   server (pg's "Connection terminated unexpectedly"). That is what the session sees whose
 *   query crashed its backend, and also a network cut or a server killed outright. Counted, but
 *   against a much larger budget: an outage costs a message one such loss (later deliveries
 *   during it are refused connections, outages), while a payload that crashes the backend costs
 *   one per delivery and is dead-lettered at last instead of being retried forever.
 * - `own`: anything else; the handler's own failure.
 *
 * The other sessions of a server whose backend crashed are told 57P02 (crash_shutdown, "crash
 * of another server process"): they are its victims, not its cause, so that stays an outage.
 * Hand-written: no library classifies errors across pg, TypeORM, nats.js and Node's sockets; it
 * follows each one's documented codes.
 */
export type FailureKind = 'outage' | 'connection-lost' | 'own';

export function classifyFailure(err: unknown): FailureKind {
  const seen = new Set<unknown>();
  let lost = false;
  const visit = (e: unknown): boolean => {
    if (!e || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const x = e as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      driverError?: unknown;
      errors?: unknown;
    };
    if (typeof x.code === 'string' && (NETWORK_CODES.has(x.code) || isPostgresOutageCode(x.code))) return true;
    if (x.name === 'MessagingUnavailableError' || x.name === 'FleetLockUnavailableError') return true;
    if (typeof x.message === 'string') {
      if (OUTAGE_MESSAGES.some((m) => m.test(x.message as string))) return true;
      if (CONNECTION_LOST.test(x.message)) lost = true;
    }
    return (
      visit(x.cause) || visit(x.driverError) || (Array.isArray(x.errors) && x.errors.some((inner) => visit(inner)))
    );
  };
  if (visit(err)) return 'outage';
  return lost ? 'connection-lost' : 'own';
}

/**
 * Whether an error means an infrastructure dependency is unreachable or restarting, or the
 * connection to it was lost, rather than that the work itself was refused (see classifyFailure).
 */
export function isInfrastructureOutage(err: unknown): boolean {
  return classifyFailure(err) !== 'own';
}

/** Node socket errors of a peer that is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * PostgreSQL SQLSTATEs of a server that is unavailable: class 08 (connection exception),
 * 57P01-57P03 (shut down, crashed, not accepting connections yet), 53300 (too many
 * connections) and 40001/40P01 are not among them: a serialization failure is the handler's
 * to retry, and it is retried, but it is no outage.
 */
const isPostgresOutageCode = (code: string): boolean =>
  /^08[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code);

/** pg's word for a connection the server ended without an error message (see classifyFailure). */
const CONNECTION_LOST = /^Connection terminated/;

/** pg and pg-pool report a lost or refused connection with these messages (no code). */
const OUTAGE_MESSAGES = [
  /^Connection terminated due to connection timeout/,
  /timeout exceeded when trying to connect/,
  /Client has encountered a connection error/,
  /the database system is (starting up|shutting down|in recovery mode)/,
];
