import {
  parseSetting,
  SETTING_CATEGORIES,
  SETTINGS,
  SettingError,
  SettingErrorCode,
  settingDefault,
  settingDefinition,
  settingValue,
  SettingView,
  type SettingKey,
} from '@lockstep/contracts';

const refusal = (key: string, raw: unknown): SettingError => {
  try {
    parseSetting(key, raw);
  } catch (err) {
    return err as SettingError;
  }
  throw new Error(`${key} = ${JSON.stringify(raw)} was accepted`);
};

describe(parseSetting.name, () => {
  it.each<[string, unknown, unknown]>([
    ['update.automatic', false, false],
    ['update.automatic', 'true', true],
    ['update.automatic', ' false ', false],
    ['update.evaluation_interval', '1s', '1s'],
    ['update.evaluation_interval', '1h', '1h'],
    ['update.evaluation_interval', '90s', '90s'],
    ['schedule.missed_runs', 'skip', 'skip'],
    ['schedule.catch_up_limit', '30d', '30d'],
    ['schedule.catch_up_limit', '1m', '1m'],
    ['backup.keep_last', 7, 7],
    ['backup.keep_last', '0', 0],
    ['notification.attempt_timeout', '100ms', '100ms'],
  ])('%s accepts %j as %j', (key, raw, expected) => {
    const sut = parseSetting(key, raw);

    expect(sut).toEqual(expected);
  });

  it.each<[string, unknown, RegExp]>([
    ['update.automatic', 'yes', /true or false/],
    ['update.automatic', 1, /true or false/],
    ['update.evaluation_interval', '30', /with a unit/],
    ['update.evaluation_interval', 30, /from 1s to 1h/],
    ['update.evaluation_interval', '999ms', /from 1s to 1h/],
    ['update.evaluation_interval', '2h', /from 1s to 1h/],
    ['update.evaluation_interval', 'soon', /duration/],
    ['schedule.catch_up_limit', '31d', /from 1m to 30d/],
    ['schedule.missed_runs', 'run_once', /one of run-once, skip/],
    ['schedule.missed_runs', true, /one of run-once, skip/],
    ['backup.keep_last', -1, /whole number from 0 to 10000/],
    ['backup.keep_last', 2.5, /whole number/],
    ['backup.keep_last', '10001', /from 0 to 10000/],
    ['backup.keep_last', null, /whole number/],
  ])('%s refuses %j, naming what is allowed', (key, raw, allowed) => {
    const sut = refusal(key, raw);

    expect(sut).toBeInstanceOf(SettingError);
    expect(sut.code).toBe(SettingErrorCode.InvalidValue);
    expect(sut.message).toContain(key);
    expect(sut.message).toMatch(allowed);
  });

  it.each([
    ['update.automatik', /did you mean update\.automatic\?/],
    ['schedule.missed-runs', /did you mean schedule\.missed_runs\?/],
    ['colour.theme', /known settings: update\.automatic, /],
  ])('refuses the unknown key %s, listing the known ones', (key, message) => {
    const sut = refusal(key, true);

    expect(sut.code).toBe(SettingErrorCode.Unknown);
    expect(sut.message).toMatch(message);
    expect(sut.message).toContain('schedule.catch_up_limit');
  });

  it('does not take inherited object properties for keys', () => {
    expect(refusal('constructor', 'x').code).toBe(SettingErrorCode.Unknown);
  });
});

describe('SETTINGS', () => {
  it.each(Object.keys(SETTINGS) as SettingKey[])('%s: its category prefixes its key and its default passes', (key) => {
    const def = settingDefinition(key);

    expect(SETTING_CATEGORIES).toContain(def.category);
    expect(key.startsWith(`${def.category}.`)).toBe(true);
    expect(parseSetting(key, def.default)).toEqual(def.default);
    expect(def.description.length).toBeGreaterThan(10);
  });

  it('hands durations to services in milliseconds', () => {
    expect(settingDefault('update.evaluation_interval')).toBe(30_000);
    expect(settingValue('schedule.catch_up_limit', '2h')).toBe(7_200_000);
    expect(settingDefault('schedule.missed_runs')).toBe('run-once');
  });

  it('a view of every setting fits the SettingView contract', () => {
    const def = settingDefinition('update.evaluation_interval');
    const view = {
      key: def.key,
      category: def.category,
      type: def.type,
      value: '5s',
      default: def.default,
      isDefault: false,
      bounds: { min: '1s', max: '1h' },
      choices: null,
      description: def.description,
      updatedAt: '2026-01-01T00:00:00.000Z',
      updatedBy: 'alice',
    };

    expect(SettingView.parse(view)).toEqual(view);
  });
});
