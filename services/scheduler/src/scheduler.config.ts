import { hostname } from 'node:os';
import { z } from 'zod';
import { commonSchema, env, loadConfig } from '@lockstep/config';
import { MAX_LEASE_SETTING, MIN_LEASE_SETTING } from '@lockstep/fleet-lock';

/** Scheduler (rollout conductor) settings. */
export const schedulerSchema = z.object({
  ...commonSchema,
  /** This replica's name in lock entries and rollouts. */
  SCHEDULER_REPLICA_ID: z.string().default(`${hostname()}-${process.pid}`),
  /** Lease of the cluster lock; renewed every third of it. A paused holder loses it after this long. */
  SCHEDULER_LOCK_LEASE: env.duration('15s', { min: MIN_LEASE_SETTING, max: MAX_LEASE_SETTING }),
  /** How often a replica looks for rollouts that need a conductor. */
  SCHEDULER_RECONCILE_INTERVAL: env.duration('1s', { min: '100ms', max: '10m' }),
  /** A node whose heartbeat is older than this is lost (never counted healthy). */
  SCHEDULER_NODE_LOST_AFTER: env.duration('10s', { min: '1s', max: '24h' }),
  /** How long a release the checker verified is reused for new rollouts of that version (0: ask every time). */
  SCHEDULER_RELEASE_INFO_TTL: env.duration('60s', { min: '0', max: '24h' }),
  /**
   * Tests only: a file holding an ISO 8601 instant that replaces the system time for schedules,
   * maintenance windows and release ages (rollouts still run in real time). Unset in production.
   */
  SCHEDULER_TEST_CALENDAR_FILE: z.string().min(1).optional(),
});
export type SchedulerConfig = z.infer<typeof schedulerSchema>;
export const loadSchedulerConfig = (): SchedulerConfig => loadConfig('scheduler', schedulerSchema);
export const SCHEDULER_CONFIG = Symbol('SCHEDULER_CONFIG');
