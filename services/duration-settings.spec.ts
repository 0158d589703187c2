import type { z } from 'zod';
import { ConfigError, loadConfig } from '@lockstep/config';
import { apiSchema } from './api/src/api.config';
import { backupServiceSchema } from './backup/src/backup.config';
import { checkerSchema } from './checker/src/checker.config';
import { installerSchema } from './installer/src/installer.config';
import { notifierSchema } from './notifier/src/notifier.config';
import { schedulerSchema } from './scheduler/src/scheduler.config';

/**
 * Every duration setting of every service has a minimum and a maximum, checked at start: a
 * bad value is a ConfigError naming the variable (bootstrap exits 78 on it), never a timer
 * that overflows (2^31 ms or more fires at once), a busy loop, or a lease refused at runtime.
 */
const services = {
  api: { schema: apiSchema, env: {} },
  backup: { schema: backupServiceSchema, env: { S3_ACCESS_KEY: 'lockstep-test', S3_SECRET_KEY: 'k9-not-a-default' } },
  checker: { schema: checkerSchema, env: {} },
  installer: {
    schema: installerSchema,
    env: {
      NODE_ID: 'node-1',
      AGENT_DIR: '/srv/app',
      AGENT_COMPONENT: 'demo',
      AGENT_SUPERVISE_COMMAND: 'node server.js',
      APP_PORT: '8081',
    },
  },
  notifier: { schema: notifierSchema, env: {} },
  scheduler: { schema: schedulerSchema, env: {} },
} satisfies Record<string, { schema: z.ZodType; env: Record<string, string> }>;
type Service = keyof typeof services;

const load = (service: Service, variable: string, value: string) => {
  const { schema, env } = services[service];
  return () => loadConfig(service, schema as z.ZodObject, { ...env, [variable]: value });
};

/** [service, variable]: every duration setting that feeds a Node timer or a loop. */
const timerSettings: Array<[Service, string]> = [
  ...(['api', 'backup', 'checker', 'installer', 'notifier', 'scheduler'] as const).map((s): [Service, string] => [
    s,
    'SHUTDOWN_TIMEOUT',
  ]),
  ...(['api', 'backup', 'checker', 'installer', 'notifier', 'scheduler'] as const).map((s): [Service, string] => [
    s,
    'EVENT_REDELIVERY_BACKOFF',
  ]),
  ['api', 'API_QUERY_TIMEOUT'],
  ['api', 'API_REDRIVE_TIMEOUT'],
  ['api', 'API_CHECK_TIMEOUT'],
  ['api', 'API_ROLLOUT_TIMEOUT'],
  ['api', 'API_NODE_LOST_AFTER'],
  ['backup', 'BACKUP_ACK_WAIT'],
  ['backup', 'BACKUP_LOCK_LEASE'],
  ['backup', 'BACKUP_LOCK_WAIT'],
  ['checker', 'CHECKER_INTERVAL'],
  ['checker', 'CHECKER_TIMEOUT'],
  ['checker', 'CHECKER_TUF_REFRESH_INTERVAL'],
  ['installer', 'AGENT_STOP_TIMEOUT'],
  ['installer', 'AGENT_HEALTH_INTERVAL'],
  ['installer', 'AGENT_HEALTH_TIMEOUT'],
  ['installer', 'AGENT_DOWNLOAD_TIMEOUT'],
  ['installer', 'AGENT_HOOK_TIMEOUT'],
  ['installer', 'AGENT_HEARTBEAT'],
  ['installer', 'AGENT_COMMAND_MAX_AGE'],
  ['installer', 'BACKUP_LOCK_WAIT'],
  ['notifier', 'NOTIFIER_RETRY_SCHEDULE'],
  ['notifier', 'NOTIFIER_TIMEOUT'],
  ['notifier', 'NOTIFIER_POLL_INTERVAL'],
  ['notifier', 'NOTIFIER_LEASE'],
  ['scheduler', 'SCHEDULER_LOCK_LEASE'],
  ['scheduler', 'SCHEDULER_RECONCILE_INTERVAL'],
  ['scheduler', 'SCHEDULER_NODE_LOST_AFTER'],
  ['scheduler', 'SCHEDULER_RELEASE_INFO_TTL'],
];

describe('duration settings', () => {
  it.each(Object.keys(services) as Service[])('%s starts with its defaults', (service) => {
    const { schema, env } = services[service];

    const act = () => loadConfig(service, schema as z.ZodObject, env);

    expect(act).not.toThrow();
  });

  it.each(timerSettings)('%s refuses %s=30d, longer than a Node timer can wait', (service, variable) => {
    const act = load(service, variable, '30d');

    expect(30 * 86_400_000).toBeGreaterThanOrEqual(2 ** 31);
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(new RegExp(`${variable}: expected .*duration.* from \\S+ to \\S+`));
  });

  it.each(timerSettings.filter(([, v]) => v !== 'SCHEDULER_RELEASE_INFO_TTL'))(
    '%s refuses %s=0, a busy loop or an instant timeout',
    (service, variable) => {
      const act = load(service, variable, '0');

      expect(act).toThrow(ConfigError);
      expect(act).toThrow(new RegExp(`${variable}: expected .*duration.* from \\S+ to \\S+`));
    },
  );

  it.each([
    ['scheduler', 'SCHEDULER_LOCK_LEASE'],
    ['backup', 'BACKUP_LOCK_LEASE'],
  ] as Array<[Service, string]>)(
    '%s refuses %s=450ms, a lease whose renewals cannot fit, at start rather than when the lock opens',
    (service, variable) => {
      const act = load(service, variable, '450ms');

      expect(act).toThrow(new RegExp(`${variable}: expected a duration from`));
    },
  );

  it.each([
    ['scheduler', 'SCHEDULER_RELEASE_INFO_TTL', '0', 0],
    ['checker', 'CHECKER_TUF_EXPIRY_WARNING', '30d', 30 * 86_400_000],
    ['checker', 'CHECKER_INTERVAL', '24h', 86_400_000],
    ['notifier', 'NOTIFIER_RETRY_SCHEDULE', '1s,24h', [1000, 86_400_000]],
  ] as Array<[Service, string, string, unknown]>)('%s accepts %s=%s', (service, variable, value, parsed) => {
    const sut = load(service, variable, value)();

    expect(sut[variable]).toEqual(parsed);
  });
});
