import { z } from 'zod';
import { env } from './env';
import { natsSchema } from './nats-settings';

/** Settings every service shares: where NATS, Postgres and the collector are, and how to log. */
export const commonSchema = {
  /** NATS servers, credentials and TLS (see natsSchema). */
  ...natsSchema,
  /** Root of every subject and prefix of every stream; lets deployments share a NATS cluster. */
  NATS_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, { message: 'expected a lowercase name (letters, digits, underscore), e.g. lockstep' })
    .default('lockstep'),
  /** Replicas of every stream and KV bucket this deployment creates: 1 on a single server, 3 in a NATS cluster. */
  NATS_REPLICAS: env.int(1, 1, 5),
  /**
   * How long an event consumer waits before the next delivery of an event its handler failed,
   * by attempt (the last repeats). Failures of the handler itself dead-letter the event after 8
   * deliveries; an outage of Postgres, NATS or S3 never does, it only delays the event.
   */
  EVENT_REDELIVERY_BACKOFF: env.durationList('500ms,2s,10s,30s,60s', { min: '100ms', max: '10m' }),
  /** PostgreSQL connection URL. */
  DATABASE_URL: env.url(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/lockstep'),
  /** HTTP listen address for health, metrics and (api) REST. */
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: env.port(0),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  /** OTLP/HTTP collector base URL (Jaeger: http://jaeger:4318). Empty disables export. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
  /** How long a SIGTERM may take to drain work before the process exits anyway. */
  SHUTDOWN_TIMEOUT: env.duration('20s', { min: '1s', max: '10m' }),
};

/** Settings of services that use the object store. */
export const s3Schema = {
  S3_ENDPOINT: env.url(['http', 'https'], 'http://127.0.0.1:9000'),
  /** Access key of the object store; no default (or S3_ACCESS_KEY_FILE). */
  S3_ACCESS_KEY: z.string().default(''),
  /** Secret key of the object store; no default (or S3_SECRET_KEY_FILE). */
  S3_SECRET_KEY: z.string().default(''),
  /** Accept well-known default credentials such as minioadmin/minioadmin: for a local demo or test only. */
  LOCKSTEP_ALLOW_DEFAULT_CREDENTIALS: env.bool(false),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, {
      message: 'expected an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
    })
    .default('lockstep'),
};

export type CommonConfig = z.infer<z.ZodObject<typeof commonSchema>>;
