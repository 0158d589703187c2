import {
  artifactKeyFor,
  assertChannel,
  assertComponentName,
  assertVersionText,
  tufPrefixFor,
} from '@lockstep/releases';

describe('release layout', () => {
  it('puts artifacts and metadata under the component prefix', () => {
    expect(artifactKeyFor('api', '1.2.3')).toBe('components/api/artifacts/api-1.2.3.tar.gz');
    expect(tufPrefixFor('api')).toBe('components/api/tuf/');
  });

  it.each([
    ['component', () => assertComponentName('../etc')],
    ['component', () => assertComponentName('')],
    ['version', () => assertVersionText('1.0/../../x')],
    ['version', () => assertVersionText('..')],
    ['channel', () => assertChannel('nightly')],
  ])('refuses a bad %s', (_what, act) => {
    expect(act).toThrow(/not allowed|cannot be used|unknown/);
  });

  it.each(['1.2.3', '2024.05.1', '1.0.0-rc.1+build.5'])('accepts version %s', (v) => {
    expect(() => assertVersionText(v)).not.toThrow();
  });
});
