import { ReleaseAvailableV1 } from './payloads';
import { ComponentUpsertV1 } from './queries';
import { isVersionRangeText, Requirements } from './requirements';

describe('Requirements', () => {
  it.each([
    [{ config: '>=2.0.0' }],
    [{ config: '>=2.0.0', app: '^1.4' }],
    [{ worker: '>=2.0 <3' }],
    [{ legacy: '>=1r2' }],
    [{ lib: '1.4.x || >=2.1.0' }],
    [{}],
  ])('takes %j', (requires) => {
    expect(Requirements.parse(requires)).toEqual(requires);
  });

  it.each([
    [{ config: '' }, /not a version range/],
    [{ config: 'banana' }, /not a version range/],
    [{ config: '>=banana' }, /not a version range/],
    [{ Config: '>=1.0.0' }, /required component names are lowercase/],
    [{ config: 2 }, /expected string/i],
  ])('refuses %j', (requires, message) => {
    const result = Requirements.safeParse(requires);

    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });

  it.each([
    ['>=2.0.0', true],
    ['>= 1r2', true],
    ['^1.4', true],
    ['   ', false],
    ['x'.repeat(201), false],
  ])('isVersionRangeText(%j) is %s', (range, expected) => {
    expect(isVersionRangeText(range)).toBe(expected);
  });

  it('is optional in a component upsert and {} by default in release.available', () => {
    const upsert = ComponentUpsertV1.parse({ name: 'app', sourceType: 'npm' });
    const release = ReleaseAvailableV1.shape.requires.parse(undefined);

    expect(upsert.requires).toBeUndefined();
    expect(release).toEqual({});
  });
});
