import type {
  BackupDetail,
  BackupOperationView,
  BackupPruneResultV1,
  BackupRestoreResultV1,
  BackupVerifyResultV1,
  BackupRecordV1,
} from '@lockstep/contracts';
import { formatDuration, formatTime, renderFields, renderTable, renderTableLines, truncate } from '../output';

/** The part of a verify's result the CLI reads. */
export type VerifyFinding = Pick<BackupVerifyResultV1, 'ok' | 'corruptedPacks' | 'problems' | 'packsChecked'>;

/** `0 B`, `512 B`, `1.5 KiB`, `12.3 MiB`, `4.0 GiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** What a backup covers and who asked, as list columns show them. */
export function formatBackups(items: BackupRecordV1[]): string {
  return renderTable(
    [
      { header: 'NAME', value: (b) => b.id },
      { header: 'TYPE', value: (b) => b.type },
      { header: 'TRIGGER', value: (b) => b.trigger },
      { header: 'STATUS', value: (b) => b.status },
      { header: 'NODE', value: (b) => b.nodeId },
      { header: 'VERSION', value: (b) => b.componentVersion },
      { header: 'SIZE', value: (b) => formatBytes(b.sizeBytes), align: 'right' },
      { header: 'STORED', value: (b) => formatBytes(b.storedBytes), align: 'right' },
      { header: 'PACKS', value: (b) => b.packs, align: 'right' },
      {
        header: 'DURATION',
        value: (b) => (b.status === 'creating' ? null : formatDuration(b.durationMs)),
        align: 'right',
      },
      { header: 'CREATED', value: (b) => formatTime(b.createdAt) },
    ],
    items,
    'no backups match; take one with `lockstep backup create` (or widen the filter, e.g. --since all)',
  );
}

/** One catalogue entry as `key: value` lines. */
export function formatBackupFields(b: BackupRecordV1): string {
  return renderFields([
    ['backup', b.id],
    ['type', b.type],
    ['status', b.status],
    ['trigger', `${b.trigger}${b.rolloutId ? ` (rollout ${b.rolloutId})` : ''}`],
    ['component', `${b.component}${b.componentVersion ? ` ${b.componentVersion}` : ''}`],
    ['node', b.nodeId ?? '(backup service)'],
    ['description', b.description],
    ['size', `${formatBytes(b.sizeBytes)} in ${b.files} file(s)`],
    [
      'stored',
      `${formatBytes(b.storedBytes)} in ${b.packs} pack(s)${b.compressed ? ', compressed' : ''}${b.encrypted ? ', encrypted' : ''}`,
    ],
    ['uploaded', formatBytes(b.uploadedBytes)],
    ['duration', b.status === 'creating' ? null : formatDuration(b.durationMs)],
    ['created', formatTime(b.createdAt)],
    ['completed', formatTime(b.completedAt)],
    ['verified', formatTime(b.verifiedAt)],
    ...(b.corruptedPacks.length ? ([['damaged packs', b.corruptedPacks.join(', ')]] as Array<[string, string]>) : []),
    ...(b.error ? ([['error', b.error]] as Array<[string, string]>) : []),
  ]);
}

/** What an operation is about: `create backup_…`, `prune`. */
export const operationSubject = (op: Pick<BackupOperationView, 'kind' | 'backupId'>): string =>
  `${op.kind}${op.backupId ? ` ${op.backupId}` : ''}`;

/** `backup show`: the entry, then its latest operations. */
export function formatBackupDetail(d: BackupDetail): string {
  const fields = formatBackupFields(d.backup);
  if (d.operations.length === 0)
    return `${fields}\nno operations recorded for it (backups taken before an update are recorded by their node)\n`;
  const table = renderTableLines<BackupOperationView>(
    [
      { header: 'OPERATION', value: (o) => o.id },
      { header: 'KIND', value: (o) => o.kind },
      { header: 'STATE', value: (o) => o.state },
      { header: 'PROGRESS', value: (o) => `${o.percent}%`, align: 'right' },
      { header: 'REQUESTED', value: (o) => formatTime(o.requestedAt) },
      { header: 'FINISHED', value: (o) => formatTime(o.finishedAt) },
      { header: 'ERROR', value: (o) => (o.error ? truncate(o.error, 100) : null) },
    ],
    d.operations,
  );
  return `${fields}\nlatest operations:\n${table.join('\n')}\n`;
}

/** `backup operation ID`: where one operation stands. */
export function formatOperation(op: BackupOperationView): string {
  return renderFields([
    ['operation', op.id],
    ['what', operationSubject(op)],
    ['state', op.state],
    ['step', op.step],
    ['progress', `${op.percent}%`],
    ['message', op.message],
    ['error', op.error],
    ['requested', formatTime(op.requestedAt)],
    ['started', formatTime(op.startedAt)],
    ['finished', formatTime(op.finishedAt)],
  ]);
}

/** `--no-wait`: the queued operation and how to follow it. */
export function formatQueued(op: BackupOperationView): string {
  return `queued ${operationSubject(op)} as operation ${op.id}; follow it with \`lockstep backup operation ${op.id} --wait\`\n`;
}

/** A verify's finding, when the result has one. */
export function verifyResult(op: BackupOperationView): VerifyFinding | undefined {
  const r = op.result as Partial<VerifyFinding> | null;
  return r && typeof r.ok === 'boolean'
    ? {
        ok: r.ok,
        corruptedPacks: r.corruptedPacks ?? [],
        problems: r.problems ?? [],
        packsChecked: r.packsChecked ?? 0,
      }
    : undefined;
}

/** `backup X is corrupted: …`: names the damaged packs and what to do. */
export function corruptionMessage(backupId: string, r: VerifyFinding): string {
  const packs = r.corruptedPacks.length
    ? `${r.corruptedPacks.length} damaged pack(s): ${r.corruptedPacks.join(', ')}`
    : 'damage';
  const problems = r.problems.length
    ? `; ${r.problems.slice(0, 5).join('; ')}${r.problems.length > 5 ? `; and ${r.problems.length - 5} more problem(s)` : ''}`
    : '';
  return `backup ${backupId} is corrupted: verify found ${packs}${problems}. Restore another backup (lockstep backup list --status verified), and take a new one`;
}

/** A succeeded verify with nothing wrong. */
export const formatVerified = (backupId: string, r: VerifyFinding): string =>
  `backup ${backupId} verified: ${r.packsChecked} pack(s) checked, no damage found\n`;

/** What a restore brought back, and where. */
export function formatRestored(backupId: string, result: Record<string, unknown> | null): string {
  const r = (result ?? {}) as Partial<BackupRestoreResultV1>;
  const lines = [`restored from backup ${backupId}:`];
  for (const p of r.restored ?? []) lines.push(`  ${p.part} → ${p.target} (${p.files} file(s))`);
  const databases = [...(r.database ? [r.database] : []), ...(r.databases ?? [])];
  for (const d of databases) lines.push(`  database ${d.database}${d.mode ? ` (${d.mode})` : ''}`);
  if (lines.length === 1) lines.push('  nothing: the backup holds none of the parts asked for');
  return `${lines.join('\n')}\n`;
}

/** A prune's plan (kept with reasons, removed with reason) and what it freed. */
export function formatPruned(result: Record<string, unknown> | null): string {
  const r = (result ?? {}) as Partial<BackupPruneResultV1>;
  const dryRun = Boolean(r.dryRun);
  const keep = r.plan?.keep ?? [];
  const remove = r.plan?.remove ?? [];
  const lines = [dryRun ? 'prune plan (dry run: nothing was removed)' : 'pruned'];
  lines.push(keep.length ? `keep (${keep.length}):` : 'keep: nothing');
  const width = Math.max(0, ...keep.map((k) => k.id.length), ...remove.map((k) => k.id.length));
  for (const k of keep) lines.push(`  ${k.id.padEnd(width)}  ${k.reasons.join(', ') || '-'}`);
  lines.push(
    remove.length
      ? `${dryRun ? 'would remove' : 'removed'} (${remove.length}):`
      : `${dryRun ? 'would remove' : 'removed'}: nothing`,
  );
  for (const k of remove) lines.push(`  ${k.id.padEnd(width)}  ${k.reason || '-'}`);
  const packs = `${r.removedPacks ?? 0} pack(s) ${dryRun ? 'to remove' : 'removed'}, ${r.keptPacks ?? 0} kept`;
  lines.push(
    `${dryRun ? 'would free' : 'freed'} ${formatBytes(r.freedBytes ?? 0)} (${packs})${dryRun && remove.length ? '; run without --dry-run to remove them' : ''}`,
  );
  return `${lines.join('\n')}\n`;
}
