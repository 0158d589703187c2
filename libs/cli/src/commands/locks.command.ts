import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { LockAuditView, LockReleaseResult, LocksView } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo, formatTime, renderTable } from '../output';

/** The flag that confirms a force-release; named in the refusal. */
export const CONFIRM_FLAG = '--yes-release-lock';

interface ReleaseOptions {
  reason: string;
  by?: string;
  yesReleaseLock?: boolean;
}

/** Who the operator is, for the audit log: `$USER@host` unless --by says. */
export const operatorName = (env: NodeJS.ProcessEnv): string =>
  `${env.USER ?? env.USERNAME ?? env.LOGNAME ?? 'operator'}@${hostname()}`;

/** `lockstep locks [list]`, `lockstep locks release [KEY] --reason R --yes-release-lock`. */
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
      `force-release a lock whoever holds it (default key: cluster); needs ${CONFIRM_FLAG}; audited with --by and --reason`,
    )
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--by <name>', 'who releases it (default: $USER@host)')
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
        throw new UsageError('--reason must say why the lock is released (it goes into the audit log)');
      const body = { by: o.by ?? operatorName(ctx.env), reason: o.reason, confirm: true };
      const result = await ctx
        .api(cmd)
        .post<LockReleaseResult>(`/v1/locks/${encodeURIComponent(lockKey)}/release`, body);
      ctx.print(cmd, result, () => formatReleased(result, body.by));
    });
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
  return `${held}\nrecent force-releases:\n${audit}`;
}

function formatReleased(r: LockReleaseResult, by: string): string {
  if (!r.released) return `lock ${r.key} was not held; nothing was removed (the request is audited as by ${by})\n`;
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
  return `released lock ${r.key}${holder}${token}; audited as by ${by}. The old holder stops at its next renewal; agents reject its older token.\n`;
}
