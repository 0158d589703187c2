import {
  CreateScheduleBody,
  CreateWindowBody,
  listOf,
  ScheduleName,
  ScheduleView,
  SetEnabledBody,
  WindowView,
} from '@lockstep/contracts';
import type { RouteDoc } from './openapi.document';

/** The routes of one stored kind: list, show, create, enable/disable, delete. */
function namedRoutes(o: {
  path: string;
  one: string;
  many: string;
  body: RouteDoc['body'];
  view: NonNullable<RouteDoc['response']>;
  shows: string;
}): RouteDoc[] {
  const byName = { name: ScheduleName };
  return [
    {
      method: 'get',
      path: o.path,
      operationId: `list${o.many}`,
      summary: o.shows,
      status: 200,
      response: listOf(o.view),
    },
    {
      method: 'get',
      path: `${o.path}/{name}`,
      operationId: `get${o.one}`,
      summary: `One ${o.one.toLowerCase()}: ${o.shows.charAt(0).toLowerCase()}${o.shows.slice(1)}`,
      pathParams: byName,
      status: 200,
      response: o.view,
      errors: [404],
    },
    {
      method: 'post',
      path: o.path,
      operationId: `create${o.one}`,
      summary: `Store a ${o.one.toLowerCase()}; every field is checked (time, days, cron, time zone) and a bad one is refused with 400 naming it; 409 when the name is taken`,
      body: o.body,
      status: 201,
      response: o.view,
      errors: [409],
    },
    {
      method: 'patch',
      path: `${o.path}/{name}`,
      operationId: `setEnabled${o.one}`,
      summary: `Enable or disable a ${o.one.toLowerCase()}`,
      pathParams: byName,
      body: SetEnabledBody,
      status: 200,
      response: o.view,
      errors: [404],
    },
    {
      method: 'delete',
      path: `${o.path}/{name}`,
      operationId: `delete${o.one}`,
      summary: `Delete a ${o.one.toLowerCase()}; answers it as it was`,
      pathParams: byName,
      status: 200,
      response: o.view,
      errors: [404],
    },
  ];
}

/** Update schedules and maintenance windows (issue 13). */
export const SCHEDULE_ROUTES: RouteDoc[] = [
  ...namedRoutes({
    path: '/v1/schedules',
    one: 'Schedule',
    many: 'Schedules',
    body: CreateScheduleBody,
    view: ScheduleView,
    shows: 'Update schedules with their next five runs (UTC and their zone) and last recorded runs with outcome',
  }),
  ...namedRoutes({
    path: '/v1/windows',
    one: 'Window',
    many: 'Windows',
    body: CreateWindowBody,
    view: WindowView,
    shows: 'Maintenance windows: open now or not, when the current or next opening starts and closes',
  }),
];
