import type { Command } from 'commander';
import { ApiRequestError, ApiUnreachableError, type ApiClient } from '../api-client';
import type { RolloutDetail } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { CliError, ExitCode } from '../errors';
import { JsonProgress, LineProgress, TtyProgress, type FrameOf, type ProgressRenderer } from './rollout-progress';

/** How often `--wait` asks the API for the rollout. */
export const POLL_INTERVAL_MS = 500;
/** A `failed` rollout with auto-rollback moves to `rolled_back` once its reverts are done; wait this long for that when none is in flight. */
export const SETTLE_GRACE_MS = 3_000;
/** How long the API may be unreachable (or answer 5xx) before `--wait` gives up. */
export const API_OUTAGE_LIMIT_MS = 30_000;

/** How following ended: the last snapshot, the exit code and what to tell the operator. */
export interface FollowResult<T = RolloutDetail> {
  final: T;
  exitCode: ExitCode;
  /** `rollout … succeeded: …` or why it did not. */
  message: string;
}

/** What following needs; tests pass fakes. */
export interface FollowDeps<T = RolloutDetail> {
  api: Pick<ApiClient, 'get'>;
  renderer: ProgressRenderer<T>;
  sleep(ms: number): Promise<void>;
  now(): number;
  warn(message: string): void;
  intervalMs?: number;
}

/** What is followed and when it ends: the generic part of following a rollout or a backup operation. */
export interface FollowRules<T> {
  /** `rollout <id>`, `backup operation <id>`: named in warnings. */
  label: string;
  /** API path polled for snapshots. */
  path: string;
  /** Snapshots with equal keys are the same (not shown again, not counted as activity). */
  key(snapshot: T): string;
  /** The end, or undefined to keep following; `quietMs` is how long nothing changed. */
  verdict(snapshot: T, quietMs: number): Omit<FollowResult<T>, 'final'> | undefined;
  /** When the snapshot last visibly moved, by the server's timestamps (for a snapshot followed late). */
  lastActivity?(snapshot: T): number | undefined;
  /** A warning, given once per quiet spell, when nothing has changed for long (e.g. no worker picked it up). */
  stalled?(snapshot: T, quietMs: number): string | undefined;
}

/** Nodes that a failed rollout's auto-rollback has yet to (or is about to) put back. */
const revertPending = (r: RolloutDetail): boolean =>
  r.nodes.some((n) => n.status === 'reverting' || (n.status === 'succeeded' && n.fromVersion !== null));

/**
 * Decides whether a snapshot is final. `succeeded` exits 0; `aborted` and `rolled_back` exit
 * 1. `failed` exits 1 too, but with auto-rollback the scheduler goes on reverting and ends in
 * `rolled_back`: keep following while reverts are pending, giving up only when nothing has
 * changed for longer than a node may take (progress deadline) — or, with nothing to revert,
 * for a short grace.
 */
export function verdict(r: RolloutDetail, quietMs: number): Omit<FollowResult, 'final'> | undefined {
  const why = r.reason ? `: ${r.reason}` : '';
  switch (r.state) {
    case 'succeeded':
      return {
        exitCode: ExitCode.Ok,
        message: `rollout ${r.id} succeeded${why || `: ${r.counts.succeeded} node(s) at ${r.targetVersion}`}`,
      };
    case 'aborted':
    case 'rolled_back':
      return { exitCode: ExitCode.Failure, message: `rollout ${r.id} ${r.state}${why}` };
    case 'failed': {
      if (!r.strategy.autoRollback) return { exitCode: ExitCode.Failure, message: `rollout ${r.id} failed${why}` };
      const pending = revertPending(r);
      const limit = pending ? r.strategy.progressDeadlineMs + SETTLE_GRACE_MS : SETTLE_GRACE_MS;
      if (quietMs <= limit) return undefined;
      const tail = pending
        ? `; its auto-rollback made no progress for ${Math.round(quietMs / 1000)} s — check the scheduler and lockstep rollouts show ${r.id}`
        : '';
      return { exitCode: ExitCode.Failure, message: `rollout ${r.id} failed${why}${tail}` };
    }
    default:
      return undefined;
  }
}

/** When the rollout last visibly moved, by the server's timestamps (the rollout's, and its nodes' starts and ends). */
export function lastActivity(r: RolloutDetail): number | undefined {
  const times = [r.updatedAt, ...r.nodes.flatMap((n) => [n.startedAt, n.finishedAt])]
    .map((t) => (t ? Date.parse(t) : NaN))
    .filter((t) => !Number.isNaN(t));
  return times.length ? Math.max(...times) : undefined;
}

/** An API failure worth waiting out: unreachable, or a 5xx (the API or its database restarting). */
const transient = (err: unknown): boolean =>
  err instanceof ApiUnreachableError || (err instanceof ApiRequestError && err.status >= 500);

/**
 * Polls `rules.path` until `rules.verdict` says it ended, showing each changed snapshot.
 * Short API outages are waited out with one warning.
 */
export async function followSnapshots<T>(rules: FollowRules<T>, deps: FollowDeps<T>): Promise<FollowResult<T>> {
  const interval = deps.intervalMs ?? POLL_INTERVAL_MS;
  let lastKey = '';
  let lastChangeAt = 0;
  let stallWarned = false;
  let outageSince: number | undefined;
  for (;;) {
    let snapshot: T;
    try {
      snapshot = await deps.api.get<T>(rules.path);
      outageSince = undefined;
    } catch (err) {
      if (!transient(err)) throw err;
      if (outageSince === undefined) {
        outageSince = deps.now();
        deps.warn(
          `${(err as Error).message}; still following ${rules.label} (giving up after ${API_OUTAGE_LIMIT_MS / 1000} s)`,
        );
      } else if (deps.now() - outageSince > API_OUTAGE_LIMIT_MS) {
        throw err;
      }
      await deps.sleep(interval);
      continue;
    }
    const key = rules.key(snapshot);
    if (key !== lastKey) {
      // The first snapshot may show something that has been quiet for long (followed late):
      // count its quiet time from its own last activity, not from now.
      lastChangeAt = lastKey === '' ? Math.min(deps.now(), rules.lastActivity?.(snapshot) ?? deps.now()) : deps.now();
      lastKey = key;
      stallWarned = false;
      deps.renderer.update(snapshot);
    }
    const quietMs = deps.now() - lastChangeAt;
    const end = rules.verdict(snapshot, quietMs);
    if (end) return { final: snapshot, ...end };
    const stall = stallWarned ? undefined : rules.stalled?.(snapshot, quietMs);
    if (stall) {
      stallWarned = true;
      deps.warn(stall);
    }
    await deps.sleep(interval);
  }
}

/**
 * Follows a rollout until it ends: polls `GET /v1/rollouts/:id`, shows each changed
 * snapshot, and returns the verdict. Short API outages are waited out with one warning.
 */
export function followRollout(id: string, deps: FollowDeps): Promise<FollowResult> {
  return followSnapshots<RolloutDetail>(
    {
      label: `rollout ${id}`,
      path: `/v1/rollouts/${id}`,
      key: (r) => JSON.stringify({ ...r, updatedAt: undefined }),
      verdict,
      lastActivity,
    },
    deps,
  );
}

/** The renderer for this run: JSON lines with --json, in-place bars on a terminal, a line per change otherwise. */
export function progressRenderer(ctx: CliContext, json: boolean): ProgressRenderer;
export function progressRenderer<T>(ctx: CliContext, json: boolean, frameOf: FrameOf<T>): ProgressRenderer<T>;
export function progressRenderer<T>(ctx: CliContext, json: boolean, frameOf?: FrameOf<T>): ProgressRenderer<T> {
  const write = (text: string) => ctx.deps.io.stdout(text);
  if (json) return new JsonProgress<T>(write);
  if (ctx.deps.io.isTty) return new TtyProgress<T>(write, ctx.deps.io.columns, frameOf);
  return new LineProgress<T>(write, frameOf);
}

/**
 * `--wait`: follows the rollout live. Exits 0 when it succeeded; otherwise throws a CliError
 * (exit 1) saying how it ended and why.
 */
export async function waitForRollout(ctx: CliContext, cmd: Command, id: string): Promise<RolloutDetail> {
  const { json } = ctx.options(cmd);
  if (!json) ctx.deps.io.stdout(`following rollout ${id} (Ctrl-C stops following; the rollout goes on)\n`);
  const result = await followRollout(id, {
    api: ctx.api(cmd),
    renderer: progressRenderer(ctx, Boolean(json)),
    sleep: (ms) => ctx.sleep(ms),
    now: () => ctx.now(),
    warn: (m) => ctx.warn(m),
  });
  if (result.exitCode !== ExitCode.Ok)
    throw new CliError(result.message, result.exitCode, `ROLLOUT_${result.final.state.toUpperCase()}`);
  if (!json) ctx.deps.io.stdout(`${result.message}\n`);
  return result.final;
}
