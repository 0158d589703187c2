import { z } from 'zod';
import { commonSchema, env, loadConfig } from '@lockstep/config';

/** API settings. */
export const apiSchema = z.object({
  ...commonSchema,
  /** REST listen port; the CLI looks at http://127.0.0.1:8080 unless told otherwise. */
  HTTP_PORT: env.port(8080),
  /** How long the API waits for another service to answer a query before giving up with 504. */
  API_QUERY_TIMEOUT: env.duration('10s', { min: '100ms', max: '10m' }),
  /** How long `POST /v1/dead-letters/redrive` waits for the scheduler (a re-drive of every dead letter publishes up to 1000 messages). */
  API_REDRIVE_TIMEOUT: env.duration('5m', { min: '1s', max: '1h' }),
  /** How long `POST /v1/checks` waits for the checker (a check downloads and verifies releases). */
  API_CHECK_TIMEOUT: env.duration('3m', { min: '1s', max: '1h' }),
  /** How long creating a rollout or rollback may take (the scheduler asks the checker for the verified artifact first). */
  API_ROLLOUT_TIMEOUT: env.duration('3m', { min: '1s', max: '1h' }),
  /** A node whose heartbeat is older than this is shown as lost (match the scheduler's SCHEDULER_NODE_LOST_AFTER). */
  API_NODE_LOST_AFTER: env.duration('10s', { min: '1s', max: '24h' }),
  /**
   * Host header values the API answers to (DNS rebinding guard), comma-separated: a name
   * (any port) or `name:port`. Empty: localhost, 127.0.0.1, [::1] and HTTP_HOST. Behind a
   * proxy or in compose, list the names clients use (e.g. `localhost,api.example.com`).
   */
  API_ALLOWED_HOSTS: z.string().default(''),
  /**
   * Where the API writes a first owner token when none exists (created exclusively, mode
   * 0600, never overwritten). Empty: no bootstrap token; the API warns at start.
   */
  API_BOOTSTRAP_TOKEN_FILE: z.string().default(''),
  /** Replicas of the NODES bucket if the API is first to create it: 1 on a single server, 3 in a NATS cluster. */
});
export type ApiConfig = z.infer<typeof apiSchema>;

export const loadApiConfig = (): ApiConfig => loadConfig('api', apiSchema);
export const API_CONFIG = Symbol('API_CONFIG');
