import type { Command } from 'commander';
import {
  ComponentNameParam,
  ReleaseVersionParam,
  releaseHoldCommand,
  type ApprovalDecided,
  type ApprovalView,
  type ApproveUpdateBody,
  type CreateHoldBody,
  type HoldView,
  type ListOf,
  type RejectUpdateBody,
} from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo, formatTime, renderTable } from '../output';

/** A component name from the command line; a usage error naming the rule otherwise. */
function componentArg(name: string): string {
  if (!ComponentNameParam.safeParse(name).success)
    throw new UsageError(
      `"${name}" is not a component name (lowercase letters, digits, dot, dash, underscore, as lockstep components shows it)`,
    );
  return name;
}

/** A release version from the command line; a usage error otherwise. */
function versionArg(version: string): string {
  if (!ReleaseVersionParam.safeParse(version).success)
    throw new UsageError(`"${version}" is not a release version; give it as lockstep releases shows it, e.g. 1.4.0`);
  return version;
}

/** A reason that must say something; a usage error naming `what` otherwise. */
function reasonArg(reason: string, what: string): string {
  if (!reason.trim()) throw new UsageError(`--reason must say why ${what} (it is shown to others and audited)`);
  return reason;
}

/** `every version` or `version 1.2.0`. */
const covers = (version: string | null): string => (version === null ? 'every version' : `version ${version}`);

const releasePath = (component: string, version: string, verb: 'approve' | 'reject') =>
  `/v1/updates/${componentArg(component)}/${encodeURIComponent(versionArg(version))}/${verb}`;

/**
 * Operators' decisions about automatic updates: `lockstep approve|reject COMPONENT VERSION`,
 * `lockstep hold COMPONENT [--version V] --reason R`, `lockstep release-hold COMPONENT [--version V]`
 * and `lockstep holds`.
 */
export function registerUpdateDecisions(program: Command, ctx: CliContext): void {
  program
    .command('approve <component> <version>')
    .description(
      'approve a release that waits for approval (or approve it before it is asked): it goes out in its policy’s next maintenance window (audited; operator)',
    )
    .option('--reason <text>', 'why (recorded in the audit trail)', '')
    .action(async (component: string, version: string, _o: unknown, cmd: Command) => {
      const body: ApproveUpdateBody = { reason: ctx.options<{ reason: string }>(cmd).reason };
      const decided = await ctx.api(cmd).post<ApprovalDecided>(releasePath(component, version, 'approve'), body);
      ctx.print(cmd, decided, () => formatDecided(decided));
    });

  program
    .command('reject <component> <version>')
    .description('reject a release: nothing installs it automatically (audited; operator)')
    .requiredOption('--reason <text>', 'why it must not be installed (shown with the release, audited)')
    .action(async (component: string, version: string, _o: unknown, cmd: Command) => {
      const body: RejectUpdateBody = {
        reason: reasonArg(ctx.options<{ reason: string }>(cmd).reason, 'the release is rejected'),
      };
      const decided = await ctx.api(cmd).post<ApprovalDecided>(releasePath(component, version, 'reject'), body);
      ctx.print(cmd, decided, () => formatDecided(decided));
    });

  program
    .command('hold <component>')
    .description(
      'stop automatic installs of a component (or of one version with --version) until lockstep release-hold (audited; operator)',
    )
    .option('--version <version>', 'hold only this version (default: every version)')
    .requiredOption('--reason <text>', 'why (shown in lockstep holds and lockstep updates, audited)')
    .action(async (component: string, _o: unknown, cmd: Command) => {
      const o = ctx.options<{ version?: string; reason: string }>(cmd);
      const body: CreateHoldBody = {
        component: componentArg(component),
        ...(o.version === undefined ? {} : { version: versionArg(o.version) }),
        reason: reasonArg(o.reason, 'the component is held'),
      };
      const hold = await ctx.api(cmd).post<HoldView>('/v1/holds', body);
      ctx.print(cmd, hold, () => formatHeld(hold));
    });

  program
    .command('release-hold <component>')
    .description(
      'lift the hold on a component (or, with --version, on one version): automatic installs resume (audited; operator)',
    )
    .option('--version <version>', 'the version whose hold goes (default: the hold on every version)')
    .action(async (component: string, _o: unknown, cmd: Command) => {
      const version = ctx.options<{ version?: string }>(cmd).version;
      const query = version === undefined ? '' : `?version=${encodeURIComponent(versionArg(version))}`;
      const released = await ctx.api(cmd).delete<HoldView>(`/v1/holds/${componentArg(component)}${query}`);
      ctx.print(cmd, released, () => formatReleasedHold(released));
    });

  program
    .command('holds')
    .description('live holds: components (or versions) nothing installs automatically, why, since when, by whom')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.api(cmd).get<ListOf<HoldView>>('/v1/holds');
      ctx.print(cmd, items, () => formatHolds(items, ctx.now()));
    });
}

const decisionText = (a: ApprovalView): string =>
  `${a.state} by ${a.decidedBy ?? '?'} at ${formatTime(a.decidedAt)}${a.reason ? ` (${a.reason})` : ''}`;

/** What approve and reject print: the decision, and the one it overturned. */
export function formatDecided(d: ApprovalDecided): string {
  const a = d.approval;
  const what = `${a.component} ${a.version}`;
  const line =
    a.state === 'approved'
      ? `approved ${what}: it goes out in its policy's next maintenance window`
      : `rejected ${what}: nothing installs it automatically (lockstep approve ${a.component} ${a.version} reverses this)`;
  const replaced = d.replaced ? `\nthis replaces the earlier decision: ${decisionText(d.replaced)}` : '';
  return `${line}${replaced}\n`;
}

/** What `hold` prints. */
export function formatHeld(h: HoldView): string {
  return `held ${h.component} (${covers(h.version)}): nothing installs it automatically until ${releaseHoldCommand(h.component, h.version)}\n`;
}

/** What `release-hold` prints. */
export function formatReleasedHold(h: HoldView): string {
  return `released the hold on ${h.component} (${covers(h.version)}), held since ${formatTime(h.createdAt)} by ${h.createdBy}${h.automatic ? ' (automatically)' : ''}: ${h.reason}; automatic installs may resume\n`;
}

/** Live holds as a table. */
export function formatHolds(items: HoldView[], now: number): string {
  return renderTable(
    [
      { header: 'COMPONENT', value: (h) => h.component },
      { header: 'VERSION', value: (h) => h.version ?? '(all)' },
      { header: 'REASON', value: (h) => h.reason },
      { header: 'AUTOMATIC', value: (h) => (h.automatic ? 'yes' : 'no') },
      { header: 'SINCE', value: (h) => `${formatTime(h.createdAt)} (${formatAgo(h.createdAt, now)})` },
      { header: 'BY', value: (h) => h.createdBy },
    ],
    items,
    'no holds: automatic updates may install every component (lockstep hold COMPONENT --reason R stops them)',
  );
}
