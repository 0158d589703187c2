import type { Command } from 'commander';
import {
  parseSetting,
  SETTING_CATEGORIES,
  SettingError,
  settingDefinition,
  type ListOf,
  type SettingView,
} from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatTime, renderFields, renderTable } from '../output';

/**
 * `lockstep settings list|get|set|reset`: runtime settings, in force within a second of a
 * change. Keys and values are checked here with the API's own rules, so a typo fails before
 * anything is sent.
 */
export function registerSettings(program: Command, ctx: CliContext): void {
  const settings = program
    .command('settings')
    .description(
      'runtime settings (update, backup, notification, schedule): list, get, set, reset; owners change them',
    );
  settings
    .command('list', { isDefault: true })
    .description('every setting with its value, default, allowed values and what it does')
    .option('--category <category>', `only one category: ${SETTING_CATEGORIES.join(', ')}`)
    .action(async (_o: unknown, cmd: Command) => {
      const { category } = ctx.options<{ category?: string }>(cmd);
      if (category !== undefined && !(SETTING_CATEGORIES as readonly string[]).includes(category))
        throw new UsageError(`unknown category "${category}"; categories: ${SETTING_CATEGORIES.join(', ')}`);
      const { items } = await ctx.api(cmd).get<ListOf<SettingView>>('/v1/settings');
      const shown = category ? items.filter((s) => s.category === category) : items;
      ctx.print(cmd, shown, () => formatSettings(shown));
    });
  settings
    .command('get <key>')
    .description('one setting: value, default, allowed values, what it does, who set it and when')
    .action(async (key: string, _o: unknown, cmd: Command) => {
      const view = await ctx.api(cmd).get<SettingView>(`/v1/settings/${known(key)}`);
      ctx.print(cmd, view, () => formatSetting(view));
    });
  settings
    .command('set <key> <value>')
    .description('set a setting (owner; audited); in force everywhere within a second, no restart')
    .action(async (key: string, value: string, _o: unknown, cmd: Command) => {
      const body = { value: checked(() => parseSetting(key, value)) };
      const view = await ctx.api(cmd).put<SettingView>(`/v1/settings/${key}`, body);
      ctx.print(cmd, view, () => `${view.key} = ${String(view.value)}${view.isDefault ? ' (the default)' : ''}\n`);
    });
  settings
    .command('reset <key>')
    .description('put a setting back to its default (owner; audited)')
    .action(async (key: string, _o: unknown, cmd: Command) => {
      const view = await ctx.api(cmd).delete<SettingView>(`/v1/settings/${known(key)}`);
      ctx.print(cmd, view, () => `${view.key} = ${String(view.value)} (the default)\n`);
    });
}

/** A refused key or value as a usage error (exit 2, nothing sent), with the message that names what is allowed. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof SettingError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

const known = (key: string): string => checked(() => settingDefinition(key).key);

const shown = (v: SettingView['value']): string => String(v);

/** What a setting allows, from its view: `run-once|skip`, `1s..1h`, `true|false`. */
const allowedOf = (s: SettingView): string =>
  s.choices ? s.choices.join('|') : s.bounds ? `${s.bounds.min}..${s.bounds.max}` : 'true|false';

/** Settings as a table; a value set away from its default is marked `*`. */
export function formatSettings(items: SettingView[]): string {
  return renderTable(
    [
      { header: 'KEY', value: (s) => s.key },
      { header: 'VALUE', value: (s) => `${shown(s.value)}${s.isDefault ? '' : ' *'}` },
      { header: 'DEFAULT', value: (s) => shown(s.default) },
      { header: 'ALLOWED', value: allowedOf },
      { header: 'DESCRIPTION', value: (s) => s.description },
    ],
    items,
    'no settings',
  );
}

/** One setting as `key: value` lines. */
export function formatSetting(s: SettingView): string {
  return renderFields([
    ['key', s.key],
    ['value', shown(s.value)],
    ['default', shown(s.default)],
    ['allowed', allowedOf(s)],
    ['description', s.description],
    ['set by', s.isDefault ? '(default)' : `${s.updatedBy ?? '-'} at ${formatTime(s.updatedAt)}`],
  ]);
}
