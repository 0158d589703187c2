import { listOf, PutSettingBody, SettingKeyParam, SettingView } from '@lockstep/contracts';
import type { RouteDoc } from './openapi.document';

/** Runtime settings: read by everyone, set and reset by an owner; a change is in force within a second. */
export const SETTING_ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/settings',
    operationId: 'listSettings',
    summary: 'Every runtime setting with its type, value, default, bounds or choices, description and who last set it',
    status: 200,
    response: listOf(SettingView),
  },
  {
    method: 'get',
    path: '/v1/settings/{key}',
    operationId: 'getSetting',
    summary: 'One runtime setting (404 for an unknown key, naming the known ones)',
    pathParams: { key: SettingKeyParam },
    status: 200,
    response: SettingView,
    errors: [404],
  },
  {
    method: 'put',
    path: '/v1/settings/{key}',
    operationId: 'setSetting',
    summary:
      'Set a runtime setting (audited, announced as settings.changed, in force within a second); a value the setting does not allow is refused with 400 naming what it allows, and changes nothing',
    pathParams: { key: SettingKeyParam },
    body: PutSettingBody,
    status: 200,
    response: SettingView,
    errors: [404],
  },
  {
    method: 'delete',
    path: '/v1/settings/{key}',
    operationId: 'resetSetting',
    summary: 'Put a runtime setting back to its default (audited and announced when it was set)',
    pathParams: { key: SettingKeyParam },
    status: 200,
    response: SettingView,
    errors: [404],
  },
];
