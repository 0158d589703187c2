import { z } from 'zod';
import { commonSchema, env, loadConfig, s3Schema } from '@lockstep/config';
import { NodeId } from '@lockstep/contracts';
import {
  parseNpmRegistryKeys,
  serviceManagerPlugin,
  ServiceManagerKinds,
  type AgentSettings,
  type NpmRegistryKey,
} from '@lockstep/agent';
import { backupSchema } from '@lockstep/backup-jobs';
import { AllowList } from '@lockstep/net-guard';
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';

/** The agent needs NATS but no Postgres. */
const { DATABASE_URL: _database, ...common } = commonSchema;
/** Artifacts name their bucket (s3://bucket/key), so there is no S3_BUCKET. */
const { S3_BUCKET: _bucket, ...s3 } = s3Schema;

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses sizes like 512MiB, 2GB, 100k or a plain number of bytes. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  return m && unit ? Math.floor(Number(m[1]) * unit) : undefined;
}

const bytes = (dflt: string) =>
  z
    .string()
    .default(dflt)
    .transform((v, ctx) => {
      const n = parseBytes(v);
      if (n === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected a size like 512MiB, 2GB, 100k or a number of bytes' });
        return z.NEVER;
      }
      return n;
    });

/** Parses `group=canary,zone=a`. */
export function parseLabels(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_./-]{0,62})=([A-Za-z0-9_./:-]{0,63})$/.exec(pair);
    if (!m) return undefined;
    out[m[1]] = m[2]!;
  }
  return out;
}

const trustedRoot = z
  .string()
  .optional()
  .transform((path, ctx) => {
    if (path === undefined) return undefined;
    try {
      const bytes = readFileSync(path);
      if ((JSON.parse(bytes.toString('utf8')) as { signed?: { _type?: string } }).signed?._type !== 'root')
        throw new Error('not a root');
      return bytes;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message:
          'expected the path of a readable TUF root.json (the one `lockstep release root --component <c>` prints)',
      });
      return z.NEVER;
    }
  });

const npmKeys = z
  .string()
  .optional()
  .transform((text, ctx): NpmRegistryKey[] | undefined => {
    if (text === undefined) return undefined;
    try {
      return parseNpmRegistryKeys(text);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `${(err as Error).message}; pin the answer of <registry>/-/npm/v1/keys (AGENT_NPM_KEYS_FILE=<path> reads it from a file)`,
      });
      return z.NEVER;
    }
  });

/** Node agent settings. */
export const installerSchema = z
  .object({
    ...common,
    ...s3,
    /** This node's id: lowercase letters, digits, dash, underscore. */
    NODE_ID: NodeId,
    /** Labels the conductor selects nodes by, e.g. group=canary,zone=a. */
    NODE_LABELS: z
      .string()
      .default('')
      .transform((v, ctx) => {
        const labels = parseLabels(v);
        if (!labels) {
          ctx.addIssue({
            code: 'custom',
            message: 'expected key=value pairs separated by commas, e.g. group=canary,zone=a',
          });
          return z.NEVER;
        }
        return labels;
      }),
    /** The application directory (releases/, current, shared/, state/). */
    AGENT_DIR: z.string().refine((v) => isAbsolute(v), { message: 'expected an absolute path, e.g. /srv/app' }),
    /** The component this node runs. */
    AGENT_COMPONENT: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/i, {
      message: 'expected a component name (letters, digits, ".", "_", "-")',
    }),
    AGENT_SERVICE_MANAGER: env.oneOf(ServiceManagerKinds, 'supervise'),
    /** supervise: command run with /bin/sh inside current/. */
    AGENT_SUPERVISE_COMMAND: z.string().optional(),
    /** Port passed to the app as PORT (supervise, command). */
    APP_PORT: z.coerce
      .number({ message: 'expected a TCP port number 1-65535' })
      .int()
      .min(1, { message: 'expected a TCP port number 1-65535' })
      .max(65535, { message: 'expected a TCP port number 1-65535' })
      .optional(),
    AGENT_SYSTEMD_UNIT: z.string().optional(),
    AGENT_SYSTEMCTL: z.string().default('systemctl'),
    AGENT_SYSTEMD_USER: env.bool(false),
    AGENT_START_COMMAND: z.string().optional(),
    AGENT_STOP_COMMAND: z.string().optional(),
    AGENT_STATUS_COMMAND: z.string().optional(),
    /** Grace between SIGTERM and SIGKILL of the app; deadline of service-manager commands. */
    AGENT_STOP_TIMEOUT: env.duration('10s', { min: '100ms', max: '1h' }),
    /** Health endpoint; default http://127.0.0.1:<APP_PORT>/health. */
    AGENT_HEALTH_URL: env.url(['http', 'https']).optional(),
    AGENT_HEALTH_INTERVAL: env.duration('250ms', { min: '10ms', max: '1m' }),
    AGENT_HEALTH_TIMEOUT: env.duration('2s', { min: '10ms', max: '5m' }),
    AGENT_KEEP_RELEASES: env.int(3, 1, 1000),
    AGENT_MIN_FREE_DISK: bytes('100MiB'),
    AGENT_MAX_ARTIFACT_BYTES: bytes('16MiB'),
    AGENT_MAX_UNPACKED_BYTES: bytes('256MiB'),
    /** Longest an unpack may take; a stalled disk or a pathological archive fails the install instead of hanging it. */
    AGENT_UNPACK_TIMEOUT: env.duration('10m', { min: '1s', max: '6h' }),
    /** Path of the component's pinned TUF root.json; required to install s3:// artifacts. */
    AGENT_TRUSTED_ROOT: trustedRoot,
    /** Non-public destinations (loopback, private, … or CIDRs) artifacts, TUF metadata and the npm registry may be fetched from over http(s). */
    AGENT_ALLOWED_DESTINATIONS: z
      .string()
      .default('')
      .superRefine((v, ctx) => {
        try {
          AllowList.parse(v, 'AGENT_ALLOWED_DESTINATIONS');
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
    /** npm component: the registry the package is published in (its signatures are checked against AGENT_NPM_KEYS). */
    AGENT_NPM_REGISTRY: env.url(['http', 'https'], 'https://registry.npmjs.org'),
    /** npm component: the package name, e.g. @acme/app. */
    AGENT_NPM_PACKAGE: z
      .string()
      .max(214)
      .regex(/^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/i, {
        message: 'expected an npm package name such as my-app or @acme/my-app',
      })
      .optional(),
    /** npm component: the registry signing keys pinned on this node (the registry's /-/npm/v1/keys answer). */
    AGENT_NPM_KEYS: npmKeys,
    /** The component's TUF metadata URL (s3://bucket/prefix/ or http(s)://); default next to an s3:// artifact. */
    AGENT_TUF_METADATA_URL: env.url(['s3', 'http', 'https']).optional(),
    AGENT_DOWNLOAD_TIMEOUT: env.duration('5m', { min: '1s', max: '24h' }),
    AGENT_HOOK_TIMEOUT: env.duration('2m', { min: '1s', max: '24h' }),
    AGENT_HEARTBEAT: env.duration('2s', { min: '100ms', max: '10m' }),
    /** The lock whose live holder this agent obeys; commands naming another lock are refused. */
    AGENT_LOCK_KEY: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
        message: 'expected a lock key (lowercase letters, digits, "_", "-"), e.g. cluster',
      })
      .default('cluster'),
    /** A command whose issuedAt is further than this from the agent's clock is refused. */
    AGENT_COMMAND_MAX_AGE: env.duration('10m', { min: '10s', max: '7d' }),
    /** Take a backup of the node's BACKUP_* targets (default: the app's shared/ directory) before every install; a failed backup stops the install. */
    AGENT_BACKUP_BEFORE_UPDATE: env.bool(true),
    ...backupSchema,
  })
  .superRefine((c, ctx) => {
    const problems = serviceManagerPlugin(c.AGENT_SERVICE_MANAGER).validate(serviceManagerSettingsOf(c));
    for (const p of problems) ctx.addIssue({ code: 'custom', path: [p.variable], message: p.message });
    if (c.AGENT_NPM_KEYS && !c.AGENT_NPM_PACKAGE)
      ctx.addIssue({
        code: 'custom',
        path: ['AGENT_NPM_PACKAGE'],
        message: 'required with AGENT_NPM_KEYS: the npm package the component is published as, e.g. @acme/app',
      });
    if (c.AGENT_NPM_PACKAGE && !c.AGENT_NPM_KEYS)
      ctx.addIssue({
        code: 'custom',
        path: ['AGENT_NPM_KEYS'],
        message:
          'required with AGENT_NPM_PACKAGE: the registry signing keys to pin (curl <registry>/-/npm/v1/keys > keys.json; AGENT_NPM_KEYS_FILE=keys.json)',
      });
    if (!c.AGENT_HEALTH_URL && c.APP_PORT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['AGENT_HEALTH_URL'],
        message: 'required unless APP_PORT is set (then http://127.0.0.1:<APP_PORT>/health is used)',
      });
    }
  });
export type InstallerConfig = z.infer<typeof installerSchema>;

export const loadInstallerConfig = (environment: NodeJS.ProcessEnv = process.env): InstallerConfig =>
  loadConfig('installer', installerSchema, environment);
export const INSTALLER_CONFIG = Symbol('INSTALLER_CONFIG');

function serviceManagerSettingsOf(c: InstallerConfig) {
  return {
    superviseCommand: c.AGENT_SUPERVISE_COMMAND,
    appPort: c.APP_PORT,
    stopTimeoutMs: c.AGENT_STOP_TIMEOUT,
    systemdUnit: c.AGENT_SYSTEMD_UNIT,
    systemctl: c.AGENT_SYSTEMCTL,
    systemdUser: c.AGENT_SYSTEMD_USER,
    startCommand: c.AGENT_START_COMMAND,
    stopCommand: c.AGENT_STOP_COMMAND,
    statusCommand: c.AGENT_STATUS_COMMAND,
  };
}

/** The agent's settings from the parsed environment. */
export function toAgentSettings(c: InstallerConfig): AgentSettings {
  return {
    nodeId: c.NODE_ID,
    labels: c.NODE_LABELS,
    dir: c.AGENT_DIR,
    component: c.AGENT_COMPONENT,
    serviceManager: c.AGENT_SERVICE_MANAGER,
    serviceManagerSettings: serviceManagerSettingsOf(c),
    healthUrl: c.AGENT_HEALTH_URL ?? `http://127.0.0.1:${c.APP_PORT}/health`,
    healthIntervalMs: c.AGENT_HEALTH_INTERVAL,
    healthTimeoutMs: c.AGENT_HEALTH_TIMEOUT,
    keepReleases: c.AGENT_KEEP_RELEASES,
    minFreeDiskBytes: c.AGENT_MIN_FREE_DISK,
    maxArtifactBytes: c.AGENT_MAX_ARTIFACT_BYTES,
    maxUnpackedBytes: c.AGENT_MAX_UNPACKED_BYTES,
    unpackTimeoutMs: c.AGENT_UNPACK_TIMEOUT,
    trustedRoot: c.AGENT_TRUSTED_ROOT,
    tufMetadataUrl: c.AGENT_TUF_METADATA_URL,
    allowedDestinations: c.AGENT_ALLOWED_DESTINATIONS,
    ...(c.AGENT_NPM_KEYS && c.AGENT_NPM_PACKAGE
      ? { npm: { registry: c.AGENT_NPM_REGISTRY, packageName: c.AGENT_NPM_PACKAGE, keys: c.AGENT_NPM_KEYS } }
      : {}),
    s3: { endpoint: c.S3_ENDPOINT, accessKey: c.S3_ACCESS_KEY, secretKey: c.S3_SECRET_KEY },
    downloadTimeoutMs: c.AGENT_DOWNLOAD_TIMEOUT,
    hookTimeoutMs: c.AGENT_HOOK_TIMEOUT,
    heartbeatMs: c.AGENT_HEARTBEAT,
    lockKey: c.AGENT_LOCK_KEY,
    commandMaxAgeMs: c.AGENT_COMMAND_MAX_AGE,
    drainMs: Math.max(1000, c.SHUTDOWN_TIMEOUT - 5000),
    backup: { settings: c, beforeUpdate: c.AGENT_BACKUP_BEFORE_UPDATE },
  };
}
