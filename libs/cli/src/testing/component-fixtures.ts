import type { ComponentView } from '@lockstep/contracts';

/** Builders of the API's component answers, for the CLI's specs. */

/** A component as `GET /v1/components` shows it: demo, counted as 1.0.0, with two live nodes on it. */
export const componentView = (over: Partial<ComponentView> = {}): ComponentView => ({
  name: 'demo',
  scheme: 'semver',
  channel: 'stable',
  currentVersion: '1.0.0',
  fleet: { nodes: 2, lost: 0, versions: [{ version: '1.0.0', nodes: 2 }] },
  sourceType: 'tuf',
  source: { mode: 's3', trustedRootSha256: 'e163082cf42abac338716293ab412d7bb203cd392579becb56262ce33e2669c8' },
  requires: {},
  lastCheckedAt: null,
  lastError: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});
