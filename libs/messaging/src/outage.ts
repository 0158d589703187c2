/**
 * Whether an error means an infrastructure dependency (Postgres, NATS, S3, a network path) is
 * unreachable or restarting, rather than that the work itself failed. Consumers wait such an
 * outage out instead of counting it toward dead-lettering. Hand-written: no library classifies
 * errors across pg, TypeORM, nats.js and Node's sockets; it follows each one's documented codes.
 */
export function isInfrastructureOutage(err: unknown): boolean {
  const seen = new Set<unknown>();
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
    if (typeof x.message === 'string' && OUTAGE_MESSAGES.some((m) => m.test(x.message as string))) return true;
    return (
      visit(x.cause) || visit(x.driverError) || (Array.isArray(x.errors) && x.errors.some((inner) => visit(inner)))
    );
  };
  return visit(err);
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

/** pg and pg-pool report a lost or refused connection with these messages (no code). */
const OUTAGE_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /Client has encountered a connection error/,
  /the database system is (starting up|shutting down|in recovery mode)/,
];
