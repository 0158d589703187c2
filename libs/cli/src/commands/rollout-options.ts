import { NodeId, RolloutCreateV1, type CountOrPercent } from '@lockstep/contracts';
import { UsageError } from '../errors';
import { checkComponentName } from './release-options';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Parses `500ms`, `10s`, `5m`, `1h` (decimals allowed, the unit is required) to milliseconds. */
export function parseDurationFlag(flag: string, value: string): number {
  const m = DURATION.exec(value.trim());
  if (!m)
    throw new UsageError(
      `${flag} "${value}" is not a duration; expected a number with a unit, like 500ms, 10s, 5m or 1h`,
    );
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** Parses a count (`2`) or a percentage of the selected nodes (`20%`, at most 100%). */
export function parseCountOrPercent(flag: string, value: string): CountOrPercent {
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v);
  if (/^\d{1,3}%$/.test(v) && Number(v.slice(0, -1)) <= 100) return v;
  throw new UsageError(
    `${flag} "${value}" is not a count or a percentage; expected a whole number like 2 or a percentage like 20% (at most 100%)`,
  );
}

/** Parses a whole number of at least 1. */
export function parsePositiveInt(flag: string, value: string): number {
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < 1)
    throw new UsageError(`${flag} must be a whole number of at least 1 (got "${value}")`);
  return Number(value);
}

const LABEL = /^[A-Za-z0-9._/-]+=[A-Za-z0-9._/-]+$/;

/**
 * Checks a node selector the way the scheduler reads it: `all`, labels `group=canary,zone=a`
 * (every label must match), or node ids `node-1,node-2`. Returns it without spaces.
 */
export function parseSelector(value: string): string {
  const s = value.trim();
  if (s === 'all') return s;
  const parts = s.split(',').map((p) => p.trim());
  const form = 'expected all, labels like group=canary,zone=a, or node ids like node-1,node-2 (see lockstep nodes)';
  if (s === '' || parts.some((p) => p === '')) throw new UsageError(`--nodes "${value}" has an empty item; ${form}`);
  const labels = parts.filter((p) => p.includes('='));
  if (labels.length > 0 && labels.length < parts.length)
    throw new UsageError(
      `--nodes "${value}" mixes labels and node ids; use either labels (group=canary,zone=a) or node ids (node-1,node-2)`,
    );
  for (const p of parts) {
    if (labels.length > 0 && !LABEL.test(p)) throw new UsageError(`--nodes: "${p}" is not a label; ${form}`);
    if (labels.length === 0 && !NodeId.safeParse(p).success)
      throw new UsageError(
        `--nodes: "${p}" is not a node id (lowercase letters, digits, dash and underscore); ${form}`,
      );
  }
  return parts.join(',');
}

/** The flags of `lockstep upgrade` and `lockstep downgrade`, as commander hands them over (parsers already applied). */
export interface RolloutFlags {
  component: string;
  to: string;
  nodes?: string;
  maxParallel?: number;
  canary?: CountOrPercent;
  minHealthy?: number;
  healthyDeadline?: number;
  progressDeadline?: number;
  maxFailures?: CountOrPercent;
  /** False with --no-auto-rollback. */
  autoRollback: boolean;
  pauseBetween?: number;
  canarySoak?: number;
  dryRun?: boolean;
  wait?: boolean;
}

/** Body of `POST /v1/rollouts`; flags not given are left to the scheduler's defaults. */
export type RolloutCreateBody = Partial<RolloutCreateV1> &
  Pick<RolloutCreateV1, 'component' | 'version' | 'direction' | 'autoRollback' | 'dryRun'>;

/** The scheduler's defaults, to check flags against each other the way the rollout will run. */
const DEFAULTS = RolloutCreateV1.parse({ component: 'x', version: 'x' });

/** Builds the request of `upgrade`/`downgrade`, refusing combinations that could never work. */
export function buildRolloutBody(direction: 'upgrade' | 'downgrade', o: RolloutFlags): RolloutCreateBody {
  checkComponentName(o.component);
  if (!/^\S+$/.test(o.to))
    throw new UsageError(`--to "${o.to}" is not a version; pass the version to ${direction} to, e.g. --to 1.2.0`);
  if (o.dryRun && o.wait)
    throw new UsageError('--dry-run starts nothing, so there is nothing to --wait for; drop one of them');
  const minHealthy = o.minHealthy ?? DEFAULTS.minHealthyMs;
  const healthyDeadline = o.healthyDeadline ?? DEFAULTS.healthyDeadlineMs;
  if (healthyDeadline <= 0 || (o.progressDeadline !== undefined && o.progressDeadline <= 0))
    throw new UsageError('--healthy-deadline and --progress-deadline must be longer than 0');
  if (o.canarySoak !== undefined && (o.canary === undefined || o.canary === 0 || o.canary === '0%'))
    throw new UsageError(
      '--canary-soak is the wait after the canary batch, and there is none; add --canary <n|p%> or drop --canary-soak',
    );
  if (minHealthy >= healthyDeadline)
    throw new UsageError(
      `--min-healthy (${minHealthy} ms) must be shorter than --healthy-deadline (${healthyDeadline} ms): a node must stay healthy that long within the deadline`,
    );
  const body: RolloutCreateBody = {
    component: o.component,
    version: o.to,
    direction,
    autoRollback: o.autoRollback,
    dryRun: Boolean(o.dryRun),
  };
  if (o.nodes !== undefined) body.selector = o.nodes;
  if (o.maxParallel !== undefined) body.maxParallel = o.maxParallel;
  if (o.canary !== undefined) body.canary = o.canary;
  if (o.minHealthy !== undefined) body.minHealthyMs = o.minHealthy;
  if (o.healthyDeadline !== undefined) body.healthyDeadlineMs = o.healthyDeadline;
  if (o.progressDeadline !== undefined) body.progressDeadlineMs = o.progressDeadline;
  if (o.maxFailures !== undefined) body.maxFailures = o.maxFailures;
  if (o.pauseBetween !== undefined) body.pauseBetweenBatchesMs = o.pauseBetween;
  if (o.canarySoak !== undefined) body.canarySoakMs = o.canarySoak;
  return body;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws a usage error unless `id` looks like a rollout id. */
export function checkRolloutId(id: string): string {
  if (!UUID.test(id)) throw new UsageError(`"${id}" is not a rollout id; ids are UUIDs, see \`lockstep rollouts\``);
  return id.toLowerCase();
}
