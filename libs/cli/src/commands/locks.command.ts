import type { Command } from 'commander';
import type { LockAuditView, LockReleaseResult, LocksView, ReleaseLockBody } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo, formatTime, renderTable } from '../output';

/** The flag that confirms a force-release; named in the refusal. */
export const CONFIRM_FLAG = '--yes-release-lock';

/**
 * The option naming the holder to remove. Not `--token`: that is the CLI's API token, a global
 * option, which Commander would take first.
 */
export const HOLDER_TOKEN_FLAG = '--holder-token';

interface ReleaseOptions {
  reason: string;
  holderToken: string;
  yesReleaseLock?: boolean;
}

/** `lockstep locks [list]`, `lockstep locks release [KEY] --holder-token N --reason R --yes-release-lock`. */
export function registerLocks(program: Command, ctx: CliContext): void {
  const locks = program
    .command('locks')
    .description('the cluster lock: who holds it, since when, for which rollout; force-release it (audited)');
  locks
    .command('list', { isDefault: true })
    .description('held locks with holder, rollout, fencing token and lease times, then the latest force-releases')
    .action(async (_o: unknown, cmd: Command) => {
      const view = await ctx.api(cmd).get<LocksView>('/v1/locks');
      ctx.print(cmd, view, () => formatLocks(view, ctx.now()));
    });

  locks
    .command('release [key]')
    .description(
      `force-release the holder of a lock named by its fencing token (default key: cluster); needs ${CONFIRM_FLAG}; audited under your API token with --reason`,
    )
    .requiredOption(
      `${HOLDER_TOKEN_FLAG} <n>`,
      'fencing token of the holder to remove, as `lockstep locks` shows it (a newer holder is never removed)',
    )
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option(
      CONFIRM_FLAG,
      'confirm: the holder may still be conducting a rollout, and another scheduler replica can take the lock at once',
    )
    .action(async (key: string | undefined, _o: unknown, cmd: Command) => {
      const o = ctx.options<ReleaseOptions>(cmd);
      const lockKey = checkLockKey(key ?? 'cluster');
      if (!o.yesReleaseLock) {
        throw new UsageError(
          `refusing to force-release lock ${lockKey} without ${CONFIRM_FLAG}: its holder may still be conducting a rollout, and another scheduler replica can take the lock at once. Check \`lockstep locks\` first, then run again with ${CONFIRM_FLAG}`,
        );
      }
      if (!o.reason.trim())
        throw new UsageError('--reason must say why the lock is released (it goes into the audit trail)');
      const body: ReleaseLockBody = { token: holderToken(o.holderToken), reason: o.reason, confirm: true };
      const result = await ctx
        .api(cmd)
        .post<LockReleaseResult>(`/v1/locks/${encodeURIComponent(lockKey)}/release`, body);
      ctx.print(cmd, result, () => formatReleased(result));
    });
}

/** The holder's fencing token; a usage error unless it is a whole number of at least 1. */
export function holderToken(text: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text.trim()))
    throw new UsageError(
      `${HOLDER_TOKEN_FLAG} must be the holder's fencing token, a whole number such as 42 (the TOKEN column of \`lockstep locks\`), not "${text}"`,
    );
  return Number(text.trim());
}

/** Throws a usage error unless `key` is a lock key. */
export function checkLockKey(key: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(key))
    throw new UsageError(`"${key}" is not a lock key; the rollout lock is "cluster" (see lockstep locks)`);
  return key;
}

const removedText = (r: LockAuditView['removed']): string | null =>
  r
    ? `${r.holder ?? '?'} (token ${r.token ?? '?'}${r.rolloutId ? `, rollout ${r.rolloutId}` : ''})`
    : 'nothing (was free)';

/** Held locks (or that the cluster is free), then the latest force-releases. */
export function formatLocks(view: LocksView, now: number): string {
  const held = renderTable(
    [
      { header: 'KEY', value: (l) => l.key },
      { header: 'HOLDER', value: (l) => l.holder },
      { header: 'ROLLOUT', value: (l) => l.rolloutId },
      { header: 'TOKEN', value: (l) => l.token, align: 'right' },
      { header: 'SINCE', value: (l) => `${formatTime(l.since)} (${formatAgo(l.since, now)})` },
      { header: 'RENEWED', value: (l) => formatAgo(l.renewedAt, now) },
      { header: 'EXPIRES', value: (l) => (l.expiresAt ? formatAgo(l.expiresAt, now) : null) },
    ],
    view.items,
    'no lock is held: the cluster is free',
  );
  if (view.audit.length === 0) return held;
  const audit = renderTable(
    [
      { header: 'AT', value: (a) => formatTime(a.at) },
      { header: 'KEY', value: (a) => a.key },
      { header: 'ACTION', value: (a) => a.action },
      { header: 'BY', value: (a) => a.by },
      { header: 'REMOVED', value: (a) => removedText(a.removed) },
      { header: 'REASON', value: (a) => a.reason },
    ],
    view.audit,
    '',
  );
  return `${held}\nrecent lock releases:\n${audit}`;
}

function formatReleased(r: LockReleaseResult): string {
  if (!r.released) return `lock ${r.key} was not held; nothing was removed\n`;
  const removed = r.removed ?? {};
  const lease = (typeof removed.removed === 'object' && removed.removed !== null ? removed.removed : removed) as Record<
    string,
    unknown
  >;
  const holder = typeof lease.holder === 'string' ? ` held by ${lease.holder}` : '';
  const token =
    typeof lease.token === 'number' || typeof lease.token === 'string'
      ? ` (token ${lease.token}${typeof lease.rolloutId === 'string' ? `, rollout ${lease.rolloutId}` : ''})`
      : '';
  return `released lock ${r.key}${holder}${token}; recorded in the audit trail. The old holder stops at its next renewal; agents reject its older token.\n`;
}
