import {
  BackupOperationView,
  BackupRecordV1,
  RolloutCreated,
  RolloutDetail,
  RolloutNodeView,
} from '@lockstep/contracts';
import type { z } from 'zod';
import { backupOperation, backupRecord } from './backup-fixtures';
import { apiRefusal } from './fake-api';
import { ROLLOUT_ID, rolloutNode, rolloutPlan, rolloutSnapshot } from './rollout-fixtures';

describe(apiRefusal.name, () => {
  it.each([
    ['a rollout', 'POST', 'http://api.test/v1/rollouts', { component: 'demo', version: '1.1.0', canary: '20%' }],
    ['a backup list', 'GET', 'http://api.test/v1/backups?type=full&limit=5', undefined],
    ['a route without a body contract', 'GET', 'http://api.test/v1/nodes', undefined],
  ])('lets %s the API accepts through', (_, method, url, body) => {
    const sut = apiRefusal({ method, url, body });

    expect(sut).toBeUndefined();
  });

  it.each([
    [
      'an unknown body field',
      'POST',
      'http://api.test/v1/rollouts',
      { component: 'demo', version: '1.1.0', nodes: 'x' },
      /^invalid request body: unknown field "nodes"; allowed fields: component, version, selector/,
    ],
    [
      'a limit out of range',
      'GET',
      'http://api.test/v1/backups?limit=500',
      undefined,
      /^invalid query: limit: limit must/,
    ],
    [
      'a restore part that does not exist',
      'POST',
      'http://api.test/v1/backups/nightly/restore',
      { what: 'logs', confirm: true },
      /^invalid request body: what: what must be one of all, database, config, data/,
    ],
  ])('refuses %s in the API’s words', (_, method, url, body, message) => {
    const sut = apiRefusal({ method, url, body });

    expect(sut).toMatch(message);
  });
});

/** The answers the CLI's specs feed it are answers the API could send: they parse with the API's response contracts. */
describe('CLI fixtures', () => {
  const answers: Array<[string, z.ZodType, unknown]> = [
    ['a rollout snapshot', RolloutDetail, rolloutSnapshot()],
    ['a finished rollout node', RolloutNodeView, rolloutNode('node-1', { status: 'succeeded', percent: 100 })],
    ['a dry-run answer', RolloutCreated, { rolloutId: null, dryRun: true, plan: rolloutPlan() }],
    ['a started rollout', RolloutCreated, { rolloutId: ROLLOUT_ID, dryRun: false, plan: rolloutPlan() }],
    ['a backup', BackupRecordV1, backupRecord('nightly')],
    ['a backup operation', BackupOperationView, backupOperation({ state: 'running', step: 'upload', percent: 40 })],
  ];

  it.each(answers)('%s matches the API’s contract', (_, schema, answer) => {
    const sut = schema.safeParse(answer);

    expect(sut.error?.issues ?? []).toEqual([]);
    expect(sut.data).toEqual(answer);
  });
});
