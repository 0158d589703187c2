import type { ComponentEntity } from '@lockstep/persistence';

/** A pinned root.json as a component's source settings hold it (the API shows only its sha256). */
export const TEST_ROOT = '{"signed":{"_type":"root","version":1},"signatures":[]}\n';

/** A component row as the API's repository reads it: demo, registered as 1.0.0, tuf in the bucket. */
export const componentEntity = (over: Partial<ComponentEntity> = {}): ComponentEntity => ({
  name: 'demo',
  scheme: 'semver',
  channel: 'stable',
  currentVersion: '1.0.0',
  sourceType: 'tuf',
  sourceConfig: { mode: 's3', trustedRoot: TEST_ROOT },
  requires: {},
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...over,
});
