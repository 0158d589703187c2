import type { Command } from 'commander';
import type {
  BackupDetail,
  BackupOperationQueued,
  BackupOperationView,
  BackupRecordV1,
  BackupStatus,
  BackupType,
  ListOf,
  RestorePart,
} from '@lockstep/contracts';
import type { CliContext } from '../context';
import { formatBackupDetail, formatBackups, formatOperation, formatQueued } from './backup-format';
import { reportOperation, waitForOperation } from './backup-follow';
import {
  checkBackupName,
  checkOperationId,
  checkRestoreFlags,
  parseBackupLimit,
  parseBackupStatus,
  parseBackupType,
  parseDatabaseMode,
  parseRestorePart,
  parseRestoreTarget,
  parseSince,
  parseSort,
  type RestoreFlags,
} from './backup-options';

interface CreateOptions {
  type?: BackupType;
  name?: string;
  description?: string;
  includeLogs?: boolean;
  compress: boolean;
  wait: boolean;
}

interface ListOptions {
  type?: BackupType;
  status?: BackupStatus;
  node?: string;
  since?: string;
  sort?: string;
  limit?: number;
}

const NO_WAIT =
  'print the queued operation and return at once (follow it later with `lockstep backup operation ID --wait`)';

/** `lockstep backup create|list|show|verify|restore|prune|operation`: the backup catalogue and operations run by the backup service. */
export function registerBackup(program: Command, ctx: CliContext): void {
  const backup = program
    .command('backup')
    .description('backups: take one, list and show the catalogue, verify, restore, prune by retention')
    .addHelpText(
      'after',
      '\ncreate, verify, restore and prune are queued for the backup service and followed until they end (exit 0 when they succeed, 1 when they fail); --no-wait returns at once.',
    );

  backup
    .command('create')
    .description('take a backup now (default: full, named backup_YYYYMMDD_HHMMSS in UTC, compressed)')
    .option('--type <type>', 'full (databases, config and data), database, config or data_only', parseBackupType)
    .option('--name <name>', 'backup name (letters, digits, ".", "_", "-"); must not be taken', (v) =>
      checkBackupName(v, '--name'),
    )
    .option('--description <text>', 'a note kept with the backup')
    .option('--include-logs', 'also back up the log directories')
    .option('--no-compress', 'store chunks uncompressed')
    .option('--no-wait', NO_WAIT)
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<CreateOptions>(cmd);
      const body = {
        type: o.type,
        name: o.name,
        description: o.description,
        includeLogs: o.includeLogs,
        compress: o.compress,
      };
      await queue(ctx, cmd, '/v1/backups', body, o.wait);
    });

  backup
    .command('list', { isDefault: true })
    .description('the backup catalogue, newest first')
    .option('--type <type>', 'only backups of this type: full, database, config or data_only', parseBackupType)
    .option(
      '--status <status>',
      'only backups in this status: creating, completed, failed, verified, corrupted or pruned',
      parseBackupStatus,
    )
    .option('--node <id>', "only backups of this node's files")
    .option('--since <age>', 'only backups taken within 7d, 30d or 90d (default all)', parseSince)
    .option('--sort <order>', 'date (newest first, default), size (largest first), name or type', parseSort)
    .option('--limit <n>', 'at most N backups (1-50)', parseBackupLimit, 20)
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<ListOptions>(cmd);
      const { items } = await ctx.api(cmd).get<ListOf<BackupRecordV1>>('/v1/backups', {
        type: o.type,
        status: o.status,
        node: o.node,
        since: o.since,
        sort: o.sort,
        limit: o.limit,
      });
      ctx.print(cmd, items, () => formatBackups(items));
    });

  backup
    .command('show <id>')
    .description('one backup: what it holds, sizes, status, damaged packs, and its latest operations')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const detail = await ctx.api(cmd).get<BackupDetail>(`/v1/backups/${encodeURIComponent(checkBackupName(id))}`);
      ctx.print(cmd, detail, () => formatBackupDetail(detail));
    });

  backup
    .command('verify <id>')
    .description('read back every pack the backup references and check it (exit 1 when damaged, naming the packs)')
    .option('--no-wait', NO_WAIT)
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const name = checkBackupName(id);
      await queue(
        ctx,
        cmd,
        `/v1/backups/${encodeURIComponent(name)}/verify`,
        {},
        ctx.options<{ wait: boolean }>(cmd).wait,
      );
    });

  backup
    .command('restore <id>')
    .description(
      'bring back all or part of a backup; in place it overwrites what it restores, so it needs --confirm; with --to it only fills an empty (or new) directory',
    )
    .requiredOption('--what <part>', 'all, database, config or data', parseRestorePart)
    .option(
      '--to <dir>',
      'restore files under this absolute directory instead of their original places; it must be empty or not exist (nothing there is replaced)',
      parseRestoreTarget,
    )
    .option(
      '--database-mode <mode>',
      'replace (default): restore into the original database; new: into a new <name>_restored_<time> database',
      parseDatabaseMode,
    )
    .option('--keep-special-bits', 'keep the setuid/setgid bits files were backed up with (default: cleared)')
    .option(
      '--confirm',
      'confirm: the restored files (and, with --database-mode replace, the database) are overwritten',
    )
    .option('--no-wait', NO_WAIT)
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const name = checkBackupName(id);
      const o = ctx.options<RestoreFlags & { what: RestorePart; wait: boolean }>(cmd);
      checkRestoreFlags(name, o);
      const body = {
        what: o.what,
        to: o.to,
        databaseMode: o.databaseMode,
        ...(o.keepSpecialBits && { keepSpecialBits: true }),
        confirm: true,
      };
      await queue(ctx, cmd, `/v1/backups/${encodeURIComponent(name)}/restore`, body, o.wait);
    });

  backup
    .command('prune')
    .description(
      'apply retention: remove the backups (and packs) the policy no longer keeps; prints the plan and what it freed',
    )
    .option('--dry-run', 'only print the plan; remove nothing')
    .option('--no-wait', NO_WAIT)
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<{ dryRun?: boolean; wait: boolean }>(cmd);
      await queue(ctx, cmd, '/v1/backups/prune', { dryRun: Boolean(o.dryRun) }, o.wait);
    });

  backup
    .command('operation <id>')
    .description('where a queued backup operation stands; with --wait, follow it to the end')
    .option('--wait', 'follow it live until it ends (exit 0 when it succeeds, 1 when it fails)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const opId = checkOperationId(id);
      const op = await ctx.api(cmd).get<BackupOperationView>(`/v1/backup-operations/${opId}`);
      if (ctx.options<{ wait?: boolean }>(cmd).wait) {
        await waitForOperation(ctx, cmd, op, { justQueued: false });
        return;
      }
      ctx.print(cmd, op, () => formatOperation(op));
      if (op.state === 'succeeded' || op.state === 'failed') await reportOperation(ctx, cmd, op);
    });
}

/** Posts an operation request; prints the queued operation (--no-wait) or follows it to the end. */
async function queue(ctx: CliContext, cmd: Command, path: string, body: object, wait: boolean): Promise<void> {
  const { operation } = await ctx.api(cmd).post<BackupOperationQueued>(path, body);
  if (!wait) {
    ctx.print(cmd, { operation }, () => formatQueued(operation));
    return;
  }
  await waitForOperation(ctx, cmd, operation, { justQueued: true });
}
