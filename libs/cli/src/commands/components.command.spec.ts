import type { ComponentView } from '@lockstep/contracts';
import { formatCheckResults } from './check.command';
import { describeSource, formatComponents } from './components.command';

const component = (over: Partial<ComponentView> = {}): ComponentView => ({
  name: 'demo',
  scheme: 'semver',
  channel: 'stable',
  currentVersion: '1.0.0',
  sourceType: 'tuf',
  source: { mode: 's3', trustedRootSha256: 'e163082cf42abac338716293ab412d7bb203cd392579becb56262ce33e2669c8' },
  lastCheckedAt: null,
  lastError: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe(describeSource.name, () => {
  it.each([
    [component(), 'tuf (bucket) root e163082cf42a'],
    [
      component({ source: { mode: 'http', metadataUrl: 'https://r.example.com/meta/' } }),
      'tuf (https://r.example.com/meta/)',
    ],
    [
      component({ sourceType: 'npm', source: { package: '@acme/app', registry: 'https://npm.example.com' } }),
      'npm @acme/app @ https://npm.example.com',
    ],
  ])('%#: %s', (c, text) => {
    expect(describeSource(c)).toBe(text);
  });
});

describe(formatComponents.name, () => {
  it('says whether the last check passed, failed (with why) or has not run', () => {
    const sut = formatComponents([
      component(),
      component({ name: 'api', lastCheckedAt: '2026-01-01T00:00:00Z' }),
      component({
        name: 'web',
        lastCheckedAt: '2026-01-01T00:00:00Z',
        lastError: { code: 'METADATA_EXPIRED', message: 'timestamp.json expired' },
      }),
    ]).split('\n');

    expect(sut[0]).toMatch(/^NAME\s+SOURCE\s+CHANNEL\s+SCHEME\s+CURRENT\s+LAST CHECK\s+STATUS$/);
    expect(sut[1]).toMatch(/not checked yet$/);
    expect(sut[2]).toMatch(/2026-01-01 00:00:00Z\s+ok$/);
    expect(sut[3]).toMatch(/METADATA_EXPIRED: timestamp\.json expired$/);
  });
});

describe(formatCheckResults.name, () => {
  it('lists announced versions or the failure', () => {
    const sut = formatCheckResults([{ component: 'demo', ok: true, announced: ['1.1.0', '1.2.0'] }]);

    expect(sut).toMatch(/demo\s+ok\s+1\.1\.0, 1\.2\.0\s+-/);
  });
});
