import type { Command } from 'commander';
import { AuditSince, type AuditRecordView, type AuditVerifyResult, type ListOf } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { ExitCode, UsageError } from '../errors';
import { formatTime, renderTable, truncate } from '../output';

interface AuditListOptions {
  since?: string;
  actor?: string;
  action?: string;
  limit?: string;
}

/** `lockstep audit [--since 7d] [--actor A] [--action X] [--limit N]` and `lockstep audit verify`. */
export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .description('the audit trail: who changed what, when, from where, with what outcome (hash-chained)');
  audit
    .command('list', { isDefault: true })
    .description('audit records, newest first')
    .option('--since <when>', 'only records since a duration back (30m, 12h, 7d, 2w) or an RFC 3339 time')
    .option('--actor <name>', 'only records of this token (id or name) or service')
    .option('--action <action>', 'only this action (rollout.create), or all of a kind with a trailing dot (rollout.)')
    .option('--limit <n>', 'how many (1..200, default 50)')
    .action(async (_o: unknown, cmd: Command) => {
      const query = auditQuery(ctx.options<AuditListOptions>(cmd));
      const { items } = await ctx.api(cmd).get<ListOf<AuditRecordView>>('/v1/audit', query);
      ctx.print(cmd, items, () => formatAudit(items));
    });
  audit
    .command('verify')
    .description('check the whole hash chain; exits 1 naming the first record that was altered or removed')
    .action(async (_o: unknown, cmd: Command) => {
      const result = await ctx.api(cmd).get<AuditVerifyResult>('/v1/audit/verify');
      if (!result.ok) ctx.exitCode = ExitCode.Failure;
      ctx.print(cmd, result, () => formatVerify(result));
    });
}

/** The list's query string; a usage error for a bad --since or --limit before anything is sent. */
export function auditQuery(o: AuditListOptions): Record<string, string | number | undefined> {
  if (o.since !== undefined && !AuditSince.safeParse(o.since).success)
    throw new UsageError(
      `--since must be a duration such as 30m, 12h or 7d, or an RFC 3339 time such as 2026-01-01T00:00:00Z, not "${o.since}"`,
    );
  if (o.limit !== undefined && !/^([1-9]\d?|1\d\d|200)$/.test(o.limit))
    throw new UsageError(`--limit must be a whole number from 1 to 200, not "${o.limit}"`);
  return {
    since: o.since,
    actor: o.actor,
    action: o.action,
    limit: o.limit === undefined ? undefined : Number(o.limit),
  };
}

/** Records as a table, newest first. */
export function formatAudit(items: AuditRecordView[]): string {
  return renderTable(
    [
      { header: 'ID', value: (r) => r.id, align: 'right' },
      { header: 'AT', value: (r) => formatTime(r.at) },
      { header: 'ACTOR', value: (r) => (r.actor.kind === 'system' ? `system:${r.actor.name}` : r.actor.name) },
      { header: 'ROLE', value: (r) => r.role },
      { header: 'ACTION', value: (r) => r.action },
      { header: 'TARGET', value: (r) => truncate(r.target, 40) },
      { header: 'OUTCOME', value: (r) => r.outcome },
      { header: 'FROM', value: (r) => r.source },
    ],
    items,
    'no audit records match',
  );
}

/** The chain check in words. */
export function formatVerify(r: AuditVerifyResult): string {
  if (r.ok)
    return `audit trail intact: ${r.records} records; head is record ${r.head?.id ?? '0'} with hash ${r.head?.hash ?? '-'} (keep it outside Lockstep to detect a rewritten tail later)\n`;
  return `audit trail BROKEN: record ${r.firstBad?.id} was ${r.firstBad?.fault} (${r.detail}); ${r.records} records before it are intact. Restore the audit_log table from a backup and find out who had write access to the database.\n`;
}
