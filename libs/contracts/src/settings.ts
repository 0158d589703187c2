import { z } from 'zod';
import { CodedError } from './coded-error';
import { parseDuration } from './duration';

/**
 * Runtime settings (`lockstep settings`): values an operator changes while the control plane
 * runs, stored in Postgres (`settings`, a row only for a value set away from its default) and
 * read by every service through a short cache, so a change takes effect without a restart.
 * Keys are WIRE NAMES (`<category>.<name>`): services, the CLI and stored rows use them.
 */

/** The groups settings belong to: the first part of a key. */
export const SETTING_CATEGORIES = ['update', 'backup', 'notification', 'schedule'] as const;
export type SettingCategory = (typeof SETTING_CATEGORIES)[number];

/** The kinds of value a setting holds. A duration is written with its unit (`30s`, `24h`). */
export const SETTING_TYPES = ['boolean', 'integer', 'duration', 'enum'] as const;
export type SettingType = (typeof SETTING_TYPES)[number];

interface SettingBase {
  category: SettingCategory;
  /** What it does, shown by `lockstep settings list`. */
  description: string;
}

/** One setting: its type, default, bounds (integer, duration) or choices (enum), and what it does. */
export type SettingDefinition = SettingBase &
  (
    | { type: 'boolean'; default: boolean }
    | { type: 'integer'; default: number; min: number; max: number }
    | { type: 'duration'; default: string; min: string; max: string }
    | { type: 'enum'; default: string; choices: readonly string[] }
  );

/** Every runtime setting. Others read them by these keys: renaming one is a breaking change. */
export const SETTINGS = {
  'update.automatic': {
    category: 'update',
    type: 'boolean',
    default: true,
    description:
      'automatic updates follow the policies; false: nothing installs without `lockstep upgrade` (checks and approvals go on)',
  },
  'update.evaluation_interval': {
    category: 'update',
    type: 'duration',
    default: '30s',
    min: '1s',
    max: '1h',
    description: 'how often the scheduler re-evaluates pending releases against the policies and maintenance windows',
  },
  'update.approval_requests': {
    category: 'update',
    type: 'boolean',
    default: true,
    description: 'announce `update.approval_requested` when a release needs an approval before it installs',
  },
  'schedule.missed_runs': {
    category: 'schedule',
    type: 'enum',
    default: 'run-once',
    choices: ['run-once', 'skip'],
    description:
      'a schedule run missed while every scheduler replica was down: run-once (once, at start) or skip (wait for the next)',
  },
  'schedule.catch_up_limit': {
    category: 'schedule',
    type: 'duration',
    default: '24h',
    min: '1m',
    max: '30d',
    description: 'a missed run older than this is skipped whatever schedule.missed_runs says',
  },
  'backup.keep_last': {
    category: 'backup',
    type: 'integer',
    default: 0,
    min: 0,
    max: 10_000,
    description:
      'retention: keep at most this many backups per component, node and type at the next prune (0: no count limit); while not set, the backup service uses BACKUP_KEEP_LAST',
  },
  'notification.attempt_timeout': {
    category: 'notification',
    type: 'duration',
    default: '10s',
    min: '100ms',
    max: '10m',
    description:
      'how long one delivery attempt (webhook, Slack, email…) may take before it counts as failed and is retried; while not set, the notifier uses NOTIFIER_TIMEOUT',
  },
} as const satisfies Record<`${SettingCategory}.${string}`, SettingDefinition>;

/** A known setting's key, e.g. `update.automatic`. */
export type SettingKey = keyof typeof SETTINGS;
/** Every key, in registry order. */
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

type Definition<K extends SettingKey> = (typeof SETTINGS)[K];
type WireOf<D> = D extends { type: 'boolean' }
  ? boolean
  : D extends { type: 'integer' }
    ? number
    : D extends { type: 'duration' }
      ? string
      : D extends { choices: readonly (infer C)[] }
        ? C
        : never;

/** A setting's value as stored, sent and shown: a duration as written (`30s`), an enum as its choice. */
export type SettingWireValue<K extends SettingKey> = WireOf<Definition<K>>;
/** A setting's value as services use it: a duration in milliseconds, anything else as on the wire. */
export type SettingValue<K extends SettingKey> =
  Definition<K> extends { type: 'duration' } ? number : SettingWireValue<K>;

/** Codes of a refused setting (wire names: the API answers them, the CLI matches them). */
export const SettingErrorCode = {
  /** 404: no setting has this key; the message lists the known keys. */
  Unknown: 'SETTING_UNKNOWN',
  /** 400: the value is not of the setting's type or outside its bounds; the message says what is allowed. */
  InvalidValue: 'SETTING_INVALID_VALUE',
} as const;
export type SettingErrorCode = (typeof SettingErrorCode)[keyof typeof SettingErrorCode];

/** A key no setting has, or a value a setting does not allow; the message names what is allowed. */
export class SettingError extends CodedError<SettingErrorCode> {
  override name = 'SettingError';
}

/** Whether `key` names a known setting. */
export const isSettingKey = (key: string): key is SettingKey => Object.hasOwn(SETTINGS, key);

/** The definition of `key`; a SettingError (Unknown) naming the nearest key and every key otherwise. */
export function settingDefinition(key: string): SettingDefinition & { key: SettingKey } {
  if (isSettingKey(key)) return { key, ...SETTINGS[key] };
  const near = nearestKey(key);
  throw new SettingError(
    SettingErrorCode.Unknown,
    `unknown setting "${key}"${near ? ` (did you mean ${near}?)` : ''}; known settings: ${SETTING_KEYS.join(', ')} (lockstep settings list)`,
  );
}

/** What a setting allows, in words: `a duration from 1s to 1h, with a unit (ms, s, m, h, d)`. */
export function settingAllows(def: SettingDefinition): string {
  switch (def.type) {
    case 'boolean':
      return 'true or false';
    case 'integer':
      return `a whole number from ${def.min} to ${def.max}`;
    case 'duration':
      return `a duration from ${def.min} to ${def.max}, with a unit (ms, s, m, h or d), e.g. ${def.default}`;
    case 'enum':
      return `one of ${def.choices.join(', ')}`;
  }
}

/**
 * Checks a value for `key` and answers it as stored: from the CLI a string (`true`, `5`, `30s`,
 * `skip`), from JSON also a boolean or number. A SettingError when the key is unknown (Unknown)
 * or the value is of the wrong type or out of bounds (InvalidValue, naming what is allowed).
 */
export function parseSetting<K extends SettingKey>(key: K, raw: unknown): SettingWireValue<K>;
export function parseSetting(key: string, raw: unknown): SettingWireValue<SettingKey>;
export function parseSetting(key: string, raw: unknown): SettingWireValue<SettingKey> {
  const def = settingDefinition(key);
  const value = normalize(def, raw);
  if (value === undefined)
    throw new SettingError(
      SettingErrorCode.InvalidValue,
      `${def.key} cannot be ${JSON.stringify(raw) ?? String(raw)}: expected ${settingAllows(def)}`,
    );
  return value;
}

/** A stored value as services use it (a duration in milliseconds). */
export function settingValue<K extends SettingKey>(key: K, wire: SettingWireValue<K>): SettingValue<K> {
  const def: SettingDefinition = SETTINGS[key];
  return (def.type === 'duration' ? parseDuration(wire as string) : wire) as SettingValue<K>;
}

/** The value a setting has when no row is stored, as services use it. */
export const settingDefault = <K extends SettingKey>(key: K): SettingValue<K> =>
  settingValue(key, SETTINGS[key].default as SettingWireValue<K>);

function normalize(def: SettingDefinition, raw: unknown): boolean | number | string | undefined {
  const text = typeof raw === 'string' ? raw.trim() : undefined;
  switch (def.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      return text === 'true' ? true : text === 'false' ? false : undefined;
    case 'integer': {
      const n = typeof raw === 'number' ? raw : text && /^-?\d+$/.test(text) ? Number(text) : NaN;
      return Number.isSafeInteger(n) && n >= def.min && n <= def.max ? n : undefined;
    }
    case 'duration': {
      if (!text || !/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(text)) return undefined;
      const ms = parseDuration(text)!;
      return ms >= parseDuration(def.min)! && ms <= parseDuration(def.max)! ? text : undefined;
    }
    case 'enum':
      return text !== undefined && def.choices.includes(text) ? text : undefined;
  }
}

/** The known key closest to a typo (at most a third of its letters off), if any. */
function nearestKey(key: string): SettingKey | undefined {
  let best: { key: SettingKey; distance: number } | undefined;
  for (const k of SETTING_KEYS) {
    const distance = editDistance(key.toLowerCase(), k);
    if (!best || distance < best.distance) best = { key: k, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** A value any setting may hold, on the wire. */
export const SettingWire = z.union([z.boolean(), z.number(), z.string()]);

/** Body of `PUT /v1/settings/:key`: the new value (checked against the setting by the API). */
export const PutSettingBody = z.strictObject({
  /** The new value: a boolean, a whole number, a duration with its unit (`30s`) or one of the choices. */
  value: SettingWire.describe('true/false, a whole number, a duration with a unit (30s) or one of the choices'),
});
export type PutSettingBody = z.infer<typeof PutSettingBody>;

/** A setting's key in a path, e.g. `update.automatic` (whether it exists is checked separately). */
export const SettingKeyParam = z
  .string()
  .regex(/^[a-z][a-z_]*\.[a-z][a-z_]*$/, { message: 'expected a setting key like update.automatic' });

/** A setting as `GET /v1/settings` shows it. */
export const SettingView = z.object({
  /** `<category>.<name>`. */
  key: z.string(),
  category: z.enum(SETTING_CATEGORIES),
  type: z.enum(SETTING_TYPES),
  /** The value in force (the default when none is set). */
  value: SettingWire,
  /** The value when none is set. */
  default: SettingWire,
  /** True when no value is set (value is the default). */
  isDefault: z.boolean(),
  /** Bounds of an integer or duration (durations with their unit); null for other types. */
  bounds: z.object({ min: z.union([z.number(), z.string()]), max: z.union([z.number(), z.string()]) }).nullable(),
  /** The choices of an enum; null for other types. */
  choices: z.array(z.string()).nullable(),
  /** What it does. */
  description: z.string(),
  /** When it was last set (RFC 3339); null when it holds its default. */
  updatedAt: z.string().nullable(),
  /** Name of the token that set it; null when it holds its default. */
  updatedBy: z.string().nullable(),
});
export type SettingView = z.infer<typeof SettingView>;

/** Payload of `evt.settings.changed.v1`: a setting was set or reset (the new value is in force within a second). */
export const SettingsChangedV1 = z.object({
  /** The setting's key. */
  key: z.string(),
  /** Its value before (the default when none was set). */
  oldValue: SettingWire,
  /** Its value now (the default after a reset). */
  newValue: SettingWire,
  /** True when the change was a reset to the default. */
  reset: z.boolean(),
  /** Id of the token that changed it. */
  actorId: z.string(),
  /** Name of the token that changed it. */
  actorName: z.string(),
});
export type SettingsChangedV1 = z.infer<typeof SettingsChangedV1>;
