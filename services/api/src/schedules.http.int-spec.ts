import { type QueryClient } from '@lockstep/messaging';
import { weekendWindowBody } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { ApiModule } from './api.module';
import { API_CLOCK, type ApiClock } from './clock/api-clock';
import { SchedulesRepository } from './schedules/schedules.repository';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';
import { migratedDatabase } from './testing/migrated-database';

/** Monday 2026-12-07 12:00 UTC (13:00 in Berlin). */
const MONDAY_NOON = new Date('2026-12-07T12:00:00Z');

const WEEKLY = { name: 'sunday-night', type: 'weekly', time: '03:00', days: ['sun'], timezone: 'Europe/Berlin' };
const WEEKEND = weekendWindowBody;

describe(`${ApiModule.name} /v1/schedules and /v1/windows (real Postgres, fixed clock)`, () => {
  let database: Awaited<ReturnType<typeof migratedDatabase>> | undefined;
  let ds: DataSource;
  let app: ApiTestApp;
  let now = MONDAY_NOON;
  const clock: ApiClock = { now: () => now };

  const rows = (table: string) => ds.query<unknown[]>(`SELECT * FROM "${table}" ORDER BY "name"`);
  const auditActions = async () =>
    (await ds.query<Array<{ action: string }>>(`SELECT "action" FROM "audit_log" ORDER BY "id"`)).map((r) => r.action);

  beforeAll(async () => {
    database = await migratedDatabase();
    ds = database.ds;
    app = await startApiTestApp({
      send: jest.fn() as QueryClient['send'],
      repositories: [
        [SchedulesRepository, new SchedulesRepository(ds)],
        [API_CLOCK, clock],
      ],
      database: ds,
    });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });
  beforeEach(async () => {
    now = MONDAY_NOON;
    await ds.query(`DELETE FROM "update_schedules"`);
    await ds.query(`DELETE FROM "maintenance_windows"`);
  });

  describe('schedules', () => {
    it('stores a weekly schedule and shows its next five runs on the clock, in UTC and in its zone', async () => {
      const res = await app.call('POST', '/v1/schedules', {
        ...WEEKLY,
        components: ['shop', 'api', 'shop'],
        classes: ['security', 'patch'],
      });

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'sunday-night',
        spec: { type: 'weekly', time: '03:00', days: ['sun'], timezone: 'Europe/Berlin' },
        components: ['api', 'shop'],
        classes: ['patch', 'security'],
        enabled: true,
        // 03:00 in Berlin in winter is 02:00 UTC
        nextRuns: [
          '2026-12-13T02:00:00.000Z',
          '2026-12-20T02:00:00.000Z',
          '2026-12-27T02:00:00.000Z',
          '2027-01-03T02:00:00.000Z',
          '2027-01-10T02:00:00.000Z',
        ],
        lastRuns: [],
      });
      expect(res.body.nextRunsLocal[0]).toBe('2026-12-13 03:00 Europe/Berlin');
      expect(await auditActions()).toContain('schedule.create');
    });

    it('lists and shows schedules, with the runs the engine recorded, newest first', async () => {
      const created = (await app.call('POST', '/v1/schedules', WEEKLY)).body;
      await app.call('POST', '/v1/schedules', { name: 'daily', type: 'daily', time: '02:30', timezone: 'UTC' });
      const rollout = '0b6f3c1e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
      await ds.query(
        `INSERT INTO "schedule_runs" ("run_key", "schedule_id", "due_at", "fired_at", "replica", "outcome", "rollout_ids", "detail")
         VALUES ($1 || '@a', $1::uuid, '2026-11-29T02:00:00Z', '2026-11-29T02:00:01Z', 'api-1', 'nothing-to-do', '{}', 'all nodes up to date'),
                ($1 || '@b', $1::uuid, '2026-12-06T02:00:00Z', '2026-12-06T02:00:02Z', 'api-2', 'started', $2, '')`,
        [created.id, `{${rollout}}`],
      );

      const list = await app.call('GET', '/v1/schedules');
      const shown = await app.call('GET', '/v1/schedules/sunday-night');

      expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(['daily', 'sunday-night']);
      expect(list.body.items[0].nextRuns[0]).toBe('2026-12-08T02:30:00.000Z');
      expect(shown.body.lastRuns).toEqual([
        {
          dueAt: '2026-12-06T02:00:00.000Z',
          firedAt: '2026-12-06T02:00:02.000Z',
          outcome: 'started',
          rolloutIds: [rollout],
          detail: '',
        },
        {
          dueAt: '2026-11-29T02:00:00.000Z',
          firedAt: '2026-11-29T02:00:01.000Z',
          outcome: 'nothing-to-do',
          rolloutIds: [],
          detail: 'all nodes up to date',
        },
      ]);
    });

    it('disables (no next runs), enables and removes a schedule, auditing each', async () => {
      await app.call('POST', '/v1/schedules', WEEKLY);

      const disabled = await app.call('PATCH', '/v1/schedules/sunday-night', { enabled: false });
      const enabled = await app.call('PATCH', '/v1/schedules/sunday-night', { enabled: true });
      const removed = await app.call('DELETE', '/v1/schedules/sunday-night');
      const gone = await app.call('GET', '/v1/schedules/sunday-night');

      expect(disabled).toMatchObject({ status: 200, body: { enabled: false, nextRuns: [] } });
      expect(enabled).toMatchObject({ status: 200, body: { enabled: true, nextRuns: expect.arrayContaining([]) } });
      expect(enabled.body.nextRuns).toHaveLength(5);
      expect(removed).toMatchObject({ status: 200, body: { name: 'sunday-night' } });
      expect(gone).toMatchObject({
        status: 404,
        body: { code: 'NOT_FOUND', detail: expect.stringContaining('lockstep schedule list') },
      });
      expect((await auditActions()).slice(-3)).toEqual(['schedule.disable', 'schedule.enable', 'schedule.delete']);
      expect(await rows('update_schedules')).toEqual([]);
    });

    it('starts a schedule enabled again afresh for the scheduler, and leaves one already on as it was', async () => {
      await app.call('POST', '/v1/schedules', WEEKLY);
      const seen = async () =>
        (await ds.query<Array<{ first_seen_at: Date | null }>>(`SELECT "first_seen_at" FROM "update_schedules"`))[0]
          .first_seen_at;
      await ds.query(`UPDATE "update_schedules" SET "first_seen_at" = '2026-03-01T00:00:00Z'`);

      await app.call('PATCH', '/v1/schedules/sunday-night', { enabled: true });
      const keptWhileOn = await seen();
      await app.call('PATCH', '/v1/schedules/sunday-night', { enabled: false });
      await app.call('PATCH', '/v1/schedules/sunday-night', { enabled: true });

      expect(keptWhileOn).toEqual(new Date('2026-03-01T00:00:00Z'));
      expect(await seen()).toBeNull(); // the scheduler marks it seen again: runs while it was off are not caught up
    });

    it('answers 409 for a name in use and keeps the first', async () => {
      await app.call('POST', '/v1/schedules', WEEKLY);
      const before = await rows('update_schedules');

      const res = await app.call('POST', '/v1/schedules', { ...WEEKLY, time: '04:00' });

      expect(res).toMatchObject({
        status: 409,
        body: { code: 'NAME_TAKEN', detail: expect.stringContaining('a schedule named sunday-night already exists') },
      });
      expect(await rows('update_schedules')).toEqual(before);
    });

    it('answers 404 for enable, disable or rm of a schedule that does not exist, auditing nothing', async () => {
      const before = await auditActions();

      const res = [
        await app.call('PATCH', '/v1/schedules/nope', { enabled: true }),
        await app.call('DELETE', '/v1/schedules/nope'),
      ];

      expect(res.map((r) => r.status)).toEqual([404, 404]);
      expect(await auditActions()).toEqual(before);
    });

    it.each([
      ['a time such as 25:00', { time: '25:00' }, 'time: must be a 24-hour time HH:MM, e.g. 03:00 or 22:30'],
      ['an unknown day', { days: ['funday'] }, 'days.0: must be a weekday name: mon, tue, wed, thu, fri, sat, sun'],
      [
        'an unknown time zone',
        { timezone: 'Mars/Olympus' },
        'timezone: must be an IANA time zone name, e.g. Europe/Berlin',
      ],
      [
        'an invalid cron expression',
        { type: 'custom', time: undefined, days: undefined, cron: '61 * * * *' },
        'cron: CronPattern: Invalid value for minute: 61',
      ],
      ['an unknown type', { type: 'hourly' }, 'type: must be one of daily, weekly, monthly, custom'],
      ['a day of the month out of range', { type: 'monthly', days: [32] }, 'days.0: a day of the month is 1..31'],
      ['an unknown update class', { classes: ['urgent'] }, 'classes.0: must be an update class: security, hotfix'],
      ['a name with capitals', { name: 'Sunday' }, 'name: a name is 1-63 lowercase letters, digits and dashes'],
      ['an unknown field', { hour: 3 }, 'unknown field "hour"'],
    ])('refuses %s with a clear 400 and stores nothing', async (_what, change, message) => {
      const audited = await auditActions();

      const res = await app.call('POST', '/v1/schedules', { ...WEEKLY, ...change });

      expect(res).toMatchObject({
        status: 400,
        body: { code: 'INVALID_REQUEST', detail: expect.stringContaining(message) },
      });
      expect(await rows('update_schedules')).toEqual([]);
      expect(await auditActions()).toEqual(audited);
    });

    it('refuses a PATCH that is not {enabled} and a malformed name', async () => {
      await app.call('POST', '/v1/schedules', WEEKLY);

      const res = [
        await app.call('PATCH', '/v1/schedules/sunday-night', { enabled: 'no' }),
        await app.call('GET', '/v1/schedules/Bad_Name'),
      ];

      expect(res.map((r) => [r.status, r.body.detail])).toEqual([
        [400, expect.stringContaining('enabled must be true or false')],
        [400, expect.stringContaining('a name is 1-63 lowercase letters')],
      ]);
    });
  });

  describe('windows', () => {
    it('stores a window and shows it closed on Monday, opening Saturday 22:00 in its zone for 4h', async () => {
      const res = await app.call('POST', '/v1/windows', WEEKEND);

      expect(res).toMatchObject({
        status: 201,
        body: {
          name: 'weekend',
          components: ['shop'],
          nodeLabels: { group: 'canary' },
          enabled: true,
          open: false,
          opensAt: '2026-12-12T21:00:00.000Z',
          closesAt: '2026-12-13T01:00:00.000Z',
          opensAtLocal: '2026-12-12 22:00 Europe/Berlin',
          closesAtLocal: '2026-12-13 02:00 Europe/Berlin',
        },
      });
      expect(await auditActions()).toContain('window.create');
    });

    it('shows a window open while the clock is inside it, and closed with no opening when disabled', async () => {
      await app.call('POST', '/v1/windows', WEEKEND);
      now = new Date('2026-12-12T23:30:00Z');

      const open = await app.call('GET', '/v1/windows');
      const disabled = await app.call('PATCH', '/v1/windows/weekend', { enabled: false });

      expect(open.body.items).toEqual([
        expect.objectContaining({
          open: true,
          opensAt: '2026-12-12T21:00:00.000Z',
          closesAt: '2026-12-13T01:00:00.000Z',
        }),
      ]);
      expect(disabled.body).toMatchObject({ enabled: false, open: false, opensAt: null, closesAt: null });
    });

    it('takes a cron start, enables, removes, and answers 409 for a name in use', async () => {
      const cron = { name: 'nightly', start: '0 2 * * *', duration: '90m', timezone: 'UTC' };
      await app.call('POST', '/v1/windows', cron);

      const taken = await app.call('POST', '/v1/windows', cron);
      const shown = await app.call('GET', '/v1/windows/nightly');
      await app.call('PATCH', '/v1/windows/nightly', { enabled: false });
      await app.call('PATCH', '/v1/windows/nightly', { enabled: true });
      const removed = await app.call('DELETE', '/v1/windows/nightly');

      expect(taken).toMatchObject({ status: 409, body: { code: 'NAME_TAKEN' } });
      expect(shown.body).toMatchObject({ open: false, opensAt: '2026-12-08T02:00:00.000Z', components: [] });
      expect(removed.status).toBe(200);
      expect((await auditActions()).slice(-3)).toEqual(['window.disable', 'window.enable', 'window.delete']);
      expect(await rows('maintenance_windows')).toEqual([]);
    });

    it.each([
      ['an invalid cron start', { start: '61 * * * *' }, 'start: CronPattern: Invalid value for minute: 61'],
      ['a time such as 25:00', { start: { time: '25:00' } }, 'start.time: must be a 24-hour time HH:MM'],
      [
        'an unknown day',
        { start: { days: ['funday'], time: '22:00' } },
        'start: days.0: must be a weekday name: mon, tue',
      ],
      ['an unknown time zone', { timezone: 'Mars/Olympus' }, 'timezone: must be an IANA time zone name'],
      ['a duration without unit', { duration: '3' }, 'duration:'],
      ['a label with a comma', { nodeLabels: { group: 'a,b' } }, 'nodeLabels.group: a label value is'],
    ])('refuses %s with a clear 400 and stores nothing', async (_what, change, message) => {
      const audited = await auditActions();

      const res = await app.call('POST', '/v1/windows', { ...WEEKEND, ...change });

      expect(res).toMatchObject({
        status: 400,
        body: { code: 'INVALID_REQUEST', detail: expect.stringContaining(message) },
      });
      expect(await rows('maintenance_windows')).toEqual([]);
      expect(await auditActions()).toEqual(audited);
    });
  });
});
