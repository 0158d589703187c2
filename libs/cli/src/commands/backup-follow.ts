import type { Command } from 'commander';
import type { BackupDetail, BackupOperationView } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { CliError, CliErrorCode, ExitCode } from '../errors';
import { toJsonLine } from '../output';
import {
  corruptionMessage,
  formatBackupFields,
  formatPruned,
  formatRestored,
  formatVerified,
  operationSubject,
  verifyResult,
} from './backup-format';
import {
  followSnapshots,
  progressRenderer,
  type FollowDeps,
  type FollowResult,
  type FollowRules,
} from './rollout-follow';
import type { FrameOf } from './rollout-progress';

/** A queued operation nobody picked up for this long gets a warning (once): the backup service may be down. */
export const QUEUED_WARNING_MS = 15_000;

/** What the operation is doing, in a few words. */
export function operationActivity(op: BackupOperationView): string {
  switch (op.state) {
    case 'queued':
      return 'queued, waiting for the backup service';
    case 'running':
      return `${op.step ?? 'starting'}${op.message ? `: ${op.message}` : ''}`;
    case 'failed':
      return `failed${op.error ? `: ${op.error}` : ''}`;
    default:
      return op.state;
  }
}

/** One bar for the operation: its kind, step and percent. */
export const operationFrame: FrameOf<BackupOperationView> = (op) => ({
  header: `backup operation ${op.id.slice(0, 8)}  ${operationSubject(op)}  ${op.state}`,
  state: `backup operation ${op.id} (${operationSubject(op)}) ${op.state}${op.state === 'failed' && op.error ? `: ${op.error}` : ''}`,
  rows: [{ id: op.kind, percent: op.state === 'succeeded' ? 100 : op.percent, activity: operationActivity(op) }],
});

/** Ends on succeeded (0) or failed (1); warns once when the operation stays queued. */
export function operationRules(id: string): FollowRules<BackupOperationView> {
  return {
    label: `backup operation ${id}`,
    path: `/v1/backup-operations/${id}`,
    key: (op) => JSON.stringify(op),
    verdict: (op) => {
      if (op.state === 'succeeded') return { exitCode: ExitCode.Ok, message: `${operationSubject(op)} succeeded` };
      if (op.state === 'failed')
        return {
          exitCode: ExitCode.Failure,
          message: `${operationSubject(op)} failed: ${op.error ?? 'the backup service gave no reason'}`,
        };
      return undefined;
    },
    lastActivity: (op) => {
      const times = [op.requestedAt, op.startedAt, op.finishedAt]
        .map((t) => (t ? Date.parse(t) : NaN))
        .filter((t) => !Number.isNaN(t));
      return times.length ? Math.max(...times) : undefined;
    },
    stalled: (op, quietMs) =>
      op.state === 'queued' && quietMs > QUEUED_WARNING_MS
        ? `backup operation ${op.id} is still queued after ${Math.round(quietMs / 1000)} s: is the backup service running? It stays queued until one picks it up (Ctrl-C stops following, not the operation)`
        : undefined,
  };
}

/** Follows an operation until it succeeds or fails. */
export function followOperation(
  id: string,
  deps: FollowDeps<BackupOperationView>,
): Promise<FollowResult<BackupOperationView>> {
  return followSnapshots(operationRules(id), deps);
}

/**
 * Follows a queued operation live (one bar on a terminal, a line per change otherwise, JSON
 * Lines with --json: the queued answer, then each changed snapshot), then reports how it
 * ended. Exits 0 when it succeeded; throws a CliError (exit 1) when it failed, or when a
 * verify found damage, naming the damaged packs.
 */
export async function waitForOperation(
  ctx: CliContext,
  cmd: Command,
  start: BackupOperationView,
  options: { justQueued: boolean },
): Promise<void> {
  const json = Boolean(ctx.options(cmd).json);
  const intro = options.justQueued
    ? `queued ${operationSubject(start)} as operation ${start.id}`
    : `following backup operation ${start.id} (${operationSubject(start)})`;
  ctx.deps.io.stdout(json ? toJsonLine({ operation: start }) : `${intro}; Ctrl-C stops following, not the operation\n`);
  const { final } = await followOperation(start.id, {
    api: ctx.api(cmd),
    renderer: progressRenderer(ctx, json, operationFrame),
    sleep: (ms) => ctx.sleep(ms),
    now: () => ctx.now(),
    warn: (m) => ctx.warn(m),
  });
  await reportOperation(ctx, cmd, final);
}

/** Prints what a finished operation did (text only; --json already has the final snapshot) or throws why it failed. */
export async function reportOperation(ctx: CliContext, cmd: Command, op: BackupOperationView): Promise<void> {
  const json = Boolean(ctx.options(cmd).json);
  const out = (text: string) => {
    if (!json) ctx.deps.io.stdout(text);
  };
  const backupId = op.backupId ?? '';
  const verified = op.kind === 'verify' ? verifyResult(op) : undefined;
  // The backup service reports damage as a failed verify with its findings as the result; accept a succeeded one too.
  if (verified && !verified.ok)
    throw new CliError(corruptionMessage(backupId, verified), ExitCode.Failure, CliErrorCode.BackupCorrupted);
  if (op.state === 'failed')
    throw new CliError(
      `${operationSubject(op)} failed: ${op.error ?? 'the backup service gave no reason'}`,
      ExitCode.Failure,
      `BACKUP_${op.kind.toUpperCase()}_FAILED`,
    );
  if (op.state !== 'succeeded') {
    out(`${operationSubject(op)} is ${op.state}${op.step ? ` (${op.step}, ${op.percent}%)` : ''}\n`);
    return;
  }
  switch (op.kind) {
    case 'create': {
      const created = (op.result?.backupId as string | undefined) ?? backupId;
      if (json) return;
      const backup = await ctx
        .api(cmd)
        .get<BackupDetail>(`/v1/backups/${encodeURIComponent(created)}`)
        .then((d) => d.backup)
        .catch(() => undefined);
      out(`backup ${created} created\n${backup ? formatBackupFields(backup) : ''}`);
      return;
    }
    case 'verify':
      out(verified ? formatVerified(backupId, verified) : `backup ${backupId} verified\n`);
      return;
    case 'restore':
      out(formatRestored(backupId, op.result));
      return;
    case 'prune':
      out(formatPruned(op.result));
      return;
  }
}
