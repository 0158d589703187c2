import { SettingErrorCode, type SettingView } from '@lockstep/contracts';
import { jsonResponse, problemResponse, recordingCli } from '../testing/fake-api';

const view = (over: Partial<SettingView> = {}): SettingView => ({
  key: 'update.evaluation_interval',
  category: 'update',
  type: 'duration',
  value: '30s',
  default: '30s',
  isDefault: true,
  bounds: { min: '1s', max: '1h' },
  choices: null,
  description: 'how often the scheduler re-evaluates pending releases',
  updatedAt: null,
  updatedBy: null,
  ...over,
});
const missedRuns = view({
  key: 'schedule.missed_runs',
  category: 'schedule',
  type: 'enum',
  value: 'skip',
  default: 'run-once',
  isDefault: false,
  bounds: null,
  choices: ['run-once', 'skip'],
  description: 'a missed run',
  updatedAt: '2026-01-01T00:00:00.000Z',
  updatedBy: 'alice',
});

/** `lockstep settings …` through `run`, against a fake API. */
describe('lockstep settings', () => {
  const { lockstep, seen, reset } = recordingCli();

  beforeEach(reset);

  it('lists the settings as a table (set ones marked *); --category narrows; --json prints the items', async () => {
    seen.answer = () => jsonResponse(200, { items: [view(), missedRuns] });

    await lockstep(['settings', 'list']);
    const table = seen.out;
    seen.out = '';
    await lockstep(['settings', 'list', '--category', 'schedule', '--json']);

    expect(table.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/^KEY\s+VALUE\s+DEFAULT\s+ALLOWED\s+DESCRIPTION$/),
      expect.stringMatching(/^update\.evaluation_interval\s+30s\s+30s\s+1s\.\.1h\s+how often/),
      expect.stringMatching(/^schedule\.missed_runs\s+skip \*\s+run-once\s+run-once\|skip\s+a missed run$/),
    ]);
    expect(JSON.parse(seen.out)).toEqual([missedRuns]);
  });

  it('gets one setting with who set it', async () => {
    seen.answer = () => jsonResponse(200, missedRuns);

    await lockstep(['settings', 'get', 'schedule.missed_runs']);

    expect(seen.sent[0].url).toBe('http://api.test/v1/settings/schedule.missed_runs');
    expect(seen.out).toMatch(/value:\s+skip/);
    expect(seen.out).toMatch(/set by:\s+alice at 2026-01-01/);
  });

  it.each([
    ['update.automatic', 'false', false],
    ['backup.keep_last', '14', 14],
    ['update.evaluation_interval', '5m', '5m'],
    ['schedule.missed_runs', 'skip', 'skip'],
  ])('set %s %s sends the typed value %j', async (key, value, sent) => {
    seen.answer = () => jsonResponse(200, view({ key, value: sent, isDefault: false }));

    const code = await lockstep(['settings', 'set', key, value]);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([{ method: 'PUT', url: `http://api.test/v1/settings/${key}`, body: { value: sent } }]);
    expect(seen.out).toBe(`${key} = ${String(sent)}\n`);
  });

  it.each([
    [['set', 'update.evaluation_interval', '2h'], /from 1s to 1h/],
    [['set', 'update.evaluation_interval', '30'], /with a unit/],
    [['set', 'schedule.missed_runs', 'never'], /one of run-once, skip/],
    [['set', 'backup.keep_last', '-1'], /whole number from 0 to 10000/],
    [['set', 'update.automatik', 'true'], /unknown setting "update.automatik" \(did you mean update\.automatic\?\)/],
    [['get', 'colour.theme'], /known settings: update\.automatic/],
    [['reset', 'update.automatik'], /did you mean update\.automatic\?/],
    [['list', '--category', 'updates'], /categories: update, backup, notification, schedule/],
  ])('refuses settings %j before sending anything', async (args, message) => {
    const code = await lockstep(['settings', ...args]);

    expect(code).toBe(2);
    expect(seen.err).toMatch(message);
    expect(seen.sent).toEqual([]);
  });

  it('reset deletes the value and prints the default; --json prints the setting', async () => {
    seen.answer = () => jsonResponse(200, view());

    await lockstep(['settings', 'reset', 'update.evaluation_interval', '--json']);

    expect(seen.sent).toEqual([
      { method: 'DELETE', url: 'http://api.test/v1/settings/update.evaluation_interval', body: undefined },
    ]);
    expect(JSON.parse(seen.out)).toEqual(view());
  });

  it("shows the API's refusal as it is", async () => {
    seen.answer = () => problemResponse(400, SettingErrorCode.InvalidValue, 'update.automatic cannot be …');

    const code = await lockstep(['settings', 'set', 'update.automatic', 'true']);

    expect(code).toBe(1);
    expect(seen.err).toContain('update.automatic cannot be …');
  });
});
