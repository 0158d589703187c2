import type { Command } from 'commander';
import type { z } from 'zod';
import { formatIssues, ScheduleName } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';

/** `a, b,,c` → `['a', 'b', 'c']`; undefined when the flag was not given. */
export function splitList(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Checks a request body with the API's own contract before anything is sent, so a mistake
 * fails here with the message the API would give (`invalid schedule: time: must be …`).
 */
export function checkedBody<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`invalid ${what}: ${formatIssues(parsed.error, { schema })}`);
  return parsed.data;
}

/** The path of one schedule or window, its name checked first (`"Bad_Name" is not a schedule name: …`). */
export function namedPath(path: string, noun: string, name: string): string {
  const parsed = ScheduleName.safeParse(name);
  if (!parsed.success) throw new UsageError(`"${name}" is not a ${noun} name: ${parsed.error.issues[0].message}`);
  return `${path}/${name}`;
}

/** `{ components }` or nothing: "all" when it covers every component. */
export const componentsText = (components: string[]): string => (components.length ? components.join(',') : 'all');

/** Where a kind of named object lives and how the CLI words it. */
interface NamedKind<V> {
  /** API path, e.g. `/v1/schedules`. */
  path: string;
  /** `schedule`, `window`. */
  noun: string;
  /** What it means to turn one on or off, said after the change. */
  enabledMeans: string;
  disabledMeans: string;
  /** One line about an object after a change. */
  summary(view: V): string;
}

/** `<group> enable|disable|rm NAME` for schedules and windows (operator; audited by the API). */
export function registerToggleAndRemove<V>(group: Command, ctx: CliContext, kind: NamedKind<V>): void {
  for (const enabled of [true, false])
    group
      .command(`${enabled ? 'enable' : 'disable'} <name>`)
      .description(`${enabled ? 'turn on' : 'turn off (kept, ignored until enabled)'} a ${kind.noun}`)
      .action(async (name: string, _o: unknown, cmd: Command) => {
        const view = await ctx.api(cmd).patch<V>(namedPath(kind.path, kind.noun, name), { enabled });
        ctx.print(
          cmd,
          view,
          () =>
            `${enabled ? 'enabled' : 'disabled'} ${kind.noun} ${name}: ${enabled ? kind.enabledMeans : kind.disabledMeans}\n${kind.summary(view)}`,
        );
      });
  group
    .command('rm <name>')
    .description(`delete a ${kind.noun}`)
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const view = await ctx.api(cmd).delete<V>(namedPath(kind.path, kind.noun, name));
      ctx.print(cmd, view, () => `deleted ${kind.noun} ${name}\n`);
    });
}
