import { Option, type Command } from 'commander';
import {
  CreateScheduleBody,
  ScheduleTypes,
  UpdateClasses,
  type ListOf,
  type ScheduleSpecV1,
  type ScheduleView,
} from '@lockstep/contracts';
import type { CliContext } from '../context';
import { formatTime, renderFields, renderTable } from '../output';
import { checkedBody, componentsText, namedPath, registerToggleAndRemove, splitList } from './named-objects';

interface AddOptions {
  type: string;
  time?: string;
  days?: string;
  cron?: string;
  timezone: string;
  components?: string;
  classes?: string;
  disabled?: boolean;
}

/** The body of `schedule add`, checked with the API's contract (days: `mon,fri` names or `1,15` days of the month). */
export function scheduleBody(name: string, o: AddOptions): CreateScheduleBody {
  const days = splitList(o.days)?.map((d) => (/^\d+$/.test(d) ? Number(d) : d.toLowerCase()));
  return checkedBody(
    CreateScheduleBody,
    {
      name,
      type: o.type,
      time: o.time,
      days,
      cron: o.cron,
      timezone: o.timezone,
      components: splitList(o.components),
      classes: splitList(o.classes),
      enabled: o.disabled ? false : undefined,
    },
    'schedule',
  );
}

/** `weekly sun,wed 03:00`, `monthly 1,15 00:15`, `daily 02:30`, `cron 0 3 * * sun`. */
export function describeSchedule(spec: ScheduleSpecV1): string {
  if (spec.type === 'custom') return `cron ${spec.cron}`;
  return [spec.type, spec.days?.join(','), spec.time].filter(Boolean).join(' ');
}

const lastRun = (s: ScheduleView): string =>
  s.lastRuns[0] ? `${s.lastRuns[0].outcome} ${formatTime(s.lastRuns[0].dueAt)}` : 'never';

/** Schedules as a table; NEXT RUN is in each schedule's own zone. */
export function formatSchedules(items: ScheduleView[]): string {
  return renderTable(
    [
      { header: 'NAME', value: (s) => s.name },
      { header: 'STATE', value: (s) => (s.enabled ? 'enabled' : 'disabled') },
      { header: 'WHEN', value: (s) => describeSchedule(s.spec) },
      { header: 'COMPONENTS', value: (s) => componentsText(s.components) },
      { header: 'CLASSES', value: (s) => (s.classes.length ? s.classes.join(',') : 'all') },
      { header: 'NEXT RUN', value: (s) => s.nextRunsLocal[0] ?? (s.enabled ? 'never' : 'disabled') },
      { header: 'LAST RUN', value: lastRun },
    ],
    items,
    'no schedules; add one with `lockstep schedule add NAME --type weekly --days sun --time 03:00 --timezone Europe/Berlin`',
  );
}

/** One schedule: its spec, the next five runs in its zone and UTC, and the last recorded runs with outcome. */
export function formatSchedule(s: ScheduleView): string {
  const fields = renderFields([
    ['name', s.name],
    ['state', s.enabled ? 'enabled' : 'disabled'],
    ['when', describeSchedule(s.spec)],
    ['time zone', s.spec.timezone],
    ['components', componentsText(s.components)],
    ['classes', s.classes.length ? s.classes.join(',') : 'all'],
  ]);
  const next = s.nextRuns.length
    ? s.nextRuns.map((utc, i) => `  ${s.nextRunsLocal[i]}  (${formatTime(utc)})`).join('\n')
    : s.enabled
      ? '  none: the pattern never matches again'
      : '  none: disabled (lockstep schedule enable NAME)';
  const last = renderTable(
    [
      { header: 'DUE', value: (r) => formatTime(r.dueAt) },
      { header: 'FIRED', value: (r) => formatTime(r.firedAt) },
      { header: 'OUTCOME', value: (r) => r.outcome },
      { header: 'ROLLOUTS', value: (r) => r.rolloutIds.join(',') },
      { header: 'DETAIL', value: (r) => r.detail },
    ],
    s.lastRuns,
    'no runs recorded yet',
  );
  return `${fields}next runs:\n${next}\nlast runs:\n${last}`;
}

const summary = (s: ScheduleView): string =>
  `${describeSchedule(s.spec)} ${s.spec.timezone}; next run ${s.nextRunsLocal[0] ?? 'none'}\n`;

/** `lockstep schedule add|list|show|enable|disable|rm`: when automatic updates run. */
export function registerSchedule(program: Command, ctx: CliContext): void {
  const schedule = program
    .command('schedule')
    .description('when automatic updates run: daily, weekly, monthly or a cron expression, in a time zone');
  schedule
    .command('add <name>')
    .description('store a schedule (operator); every value is checked before anything is sent')
    .addOption(new Option('--type <type>', 'kind of schedule').choices([...ScheduleTypes]).makeOptionMandatory())
    .option('--time <HH:MM>', 'local time, 24-hour (daily, weekly, monthly)')
    .option('--days <days>', 'weekday names for weekly (mon,fri) or days of the month for monthly (1,15)')
    .option('--cron <expr>', 'cron expression for custom, e.g. "0 3 * * sun"')
    .requiredOption('--timezone <zone>', 'IANA time zone the time and days are read in, e.g. Europe/Berlin')
    .option('--components <a,b>', 'components it updates (default: every component)')
    .option('--classes <a,b>', `update classes it installs: ${UpdateClasses.join(', ')} (default: all)`)
    .option('--disabled', 'store it turned off')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const body = scheduleBody(name, ctx.options<AddOptions>(cmd));
      const created = await ctx.api(cmd).post<ScheduleView>('/v1/schedules', body);
      ctx.print(cmd, created, () => `added schedule ${created.name}: ${summary(created)}`);
    });
  schedule
    .command('list', { isDefault: true })
    .description('every schedule with its next run (in its zone) and last run')
    .action(async (_o: unknown, cmd: Command) => {
      const list = await ctx.api(cmd).get<ListOf<ScheduleView>>('/v1/schedules');
      ctx.print(cmd, list, () => formatSchedules(list.items));
    });
  schedule
    .command('show <name>')
    .description('one schedule: its spec, the next five runs (its zone and UTC) and the last runs with outcome')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const view = await ctx.api(cmd).get<ScheduleView>(namedPath('/v1/schedules', 'schedule', name));
      ctx.print(cmd, view, () => formatSchedule(view));
    });
  registerToggleAndRemove<ScheduleView>(schedule, ctx, {
    path: '/v1/schedules',
    noun: 'schedule',
    enabledMeans: 'it fires at its next run',
    disabledMeans: 'it does not fire until enabled',
    summary,
  });
}
