import type { Command } from 'commander';
import { CreateWindowBody, type ListOf, type MaintenanceWindowSpecV1, type WindowView } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { renderFields, renderTable } from '../output';
import { checkedBody, componentsText, namedPath, registerToggleAndRemove, splitList } from './named-objects';

interface AddOptions {
  cron?: string;
  days?: string;
  time?: string;
  duration: string;
  timezone: string;
  components?: string;
  labels?: string;
}

/** `group=canary,zone=eu` → `{ group: 'canary', zone: 'eu' }`. */
export function parseLabels(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  return Object.fromEntries(
    (splitList(value) ?? []).map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new UsageError(`--labels "${pair}" is not key=value; e.g. --labels group=canary,zone=eu`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The body of `windows add`, checked with the API's contract: a start from --cron, or --time with optional --days. */
export function windowBody(name: string, o: AddOptions): CreateWindowBody {
  if (o.cron !== undefined && (o.time !== undefined || o.days !== undefined))
    throw new UsageError('give either --cron, or --time with optional --days, not both');
  if (o.cron === undefined && o.time === undefined)
    throw new UsageError('say when the window opens: --cron "0 22 * * sat", or --time 22:00 [--days sat,sun]');
  const days = splitList(o.days)?.map((d) => d.toLowerCase());
  return checkedBody(
    CreateWindowBody,
    {
      name,
      start: o.cron ?? { days, time: o.time },
      duration: o.duration,
      timezone: o.timezone,
      components: splitList(o.components),
      nodeLabels: parseLabels(o.labels),
    },
    'window',
  );
}

/** `sat,sun 22:00`, `every day 02:00` or `cron 0 22 * * sat`. */
export function describeStart(spec: MaintenanceWindowSpecV1): string {
  if (typeof spec.start === 'string') return `cron ${spec.start}`;
  return `${spec.start.days?.join(',') ?? 'every day'} ${spec.start.time}`;
}

const labelsText = (labels: Record<string, string>): string =>
  Object.keys(labels).length
    ? Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : 'all nodes';

const stateText = (w: WindowView): string => (!w.enabled ? 'disabled' : w.open ? 'OPEN' : 'closed');

/** Windows as a table: open or not, and when each opens and closes in its own zone. */
export function formatWindows(items: WindowView[]): string {
  return renderTable(
    [
      { header: 'NAME', value: (w) => w.name },
      { header: 'STATE', value: stateText },
      { header: 'OPENS', value: (w) => (w.open ? `since ${w.opensAtLocal}` : w.opensAtLocal) },
      { header: 'CLOSES', value: (w) => w.closesAtLocal },
      { header: 'START', value: (w) => `${describeStart(w.spec)} +${w.spec.duration}` },
      { header: 'COMPONENTS', value: (w) => componentsText(w.components) },
      { header: 'LABELS', value: (w) => labelsText(w.nodeLabels) },
    ],
    items,
    'no maintenance windows; add one with `lockstep windows add NAME --days sat,sun --time 22:00 --duration 4h --timezone Europe/Berlin`',
  );
}

/** One window: its spec, what it covers, and its state now. */
export function formatWindow(w: WindowView): string {
  return renderFields([
    ['name', w.name],
    ['state', stateText(w)],
    ['opens', w.open ? `since ${w.opensAtLocal} (${w.opensAt})` : w.opensAtLocal && `${w.opensAtLocal} (${w.opensAt})`],
    ['closes', w.closesAtLocal && `${w.closesAtLocal} (${w.closesAt})`],
    ['start', describeStart(w.spec)],
    ['duration', w.spec.duration],
    ['time zone', w.spec.timezone],
    ['components', componentsText(w.components)],
    ['labels', labelsText(w.nodeLabels)],
  ]);
}

const summary = (w: WindowView): string =>
  `${stateText(w)}; ${w.open ? `closes ${w.closesAtLocal}` : `opens ${w.opensAtLocal ?? 'never'}`}\n`;

/** `lockstep windows [list]|add|show|enable|disable|rm`: maintenance windows and whether they are open now. */
export function registerWindows(program: Command, ctx: CliContext): void {
  const windows = program
    .command('windows')
    .description('maintenance windows per component or node group: which are open now and when each opens next');
  windows
    .command('list', { isDefault: true })
    .description('every window: open or closed, when it opens and closes (its zone), components, node labels')
    .action(async (_o: unknown, cmd: Command) => {
      const list = await ctx.api(cmd).get<ListOf<WindowView>>('/v1/windows');
      ctx.print(cmd, list, () => formatWindows(list.items));
    });
  windows
    .command('add <name>')
    .description('store a window (operator): a start (--cron, or --time with optional --days), a duration, a zone')
    .option('--cron <expr>', 'when it opens, as a cron expression, e.g. "0 22 * * sat"')
    .option('--days <days>', 'weekdays it opens on, e.g. sat,sun (default: every day)')
    .option('--time <HH:MM>', 'local time it opens, 24-hour')
    .requiredOption('--duration <d>', 'how long it stays open, e.g. 90m, 4h, 1d')
    .requiredOption('--timezone <zone>', 'IANA time zone the start is read in, e.g. Europe/Berlin')
    .option('--components <a,b>', 'components it applies to (default: every component)')
    .option('--labels <k=v,...>', 'the node group: labels a node must have (default: every node)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const body = windowBody(name, ctx.options<AddOptions>(cmd));
      const created = await ctx.api(cmd).post<WindowView>('/v1/windows', body);
      ctx.print(cmd, created, () => `added window ${created.name}: ${summary(created)}`);
    });
  windows
    .command('show <name>')
    .description('one window: its start, duration, zone, what it covers, and whether it is open now')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const view = await ctx.api(cmd).get<WindowView>(namedPath('/v1/windows', 'window', name));
      ctx.print(cmd, view, () => formatWindow(view));
    });
  registerToggleAndRemove<WindowView>(windows, ctx, {
    path: '/v1/windows',
    noun: 'window',
    enabledMeans: 'policies that name it wait for it again',
    disabledMeans: 'it never opens until enabled',
    summary,
  });
}
