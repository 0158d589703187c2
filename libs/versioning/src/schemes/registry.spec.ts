import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UnknownVersionSchemeError } from '../errors';
import { DEFAULT_SCHEME_ID, getScheme, schemeIds } from './registry';

const folders = readdirSync(__dirname, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('version scheme registry', () => {
  it('lists exactly one scheme per folder under schemes/', () => {
    const ids = schemeIds();

    expect(ids).toEqual(folders);
  });

  it.each(folders)('folder %s exports the scheme the registry returns for its id', (folder) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = Object.values(require(join(__dirname, folder)) as Record<string, unknown>);

    const scheme = getScheme(folder);

    expect(scheme.id).toBe(folder);
    expect(exported).toContain(scheme);
  });

  it('defaults to semver', () => {
    expect(getScheme(DEFAULT_SCHEME_ID).id).toBe('semver');
  });

  it.each(['', 'SemVer', 'calver', 'constructor', '__proto__', 'toString'])(
    'rejects unknown id %j and lists the valid ones',
    (id) => {
      const act = () => getScheme(id);

      expect(act).toThrow(UnknownVersionSchemeError);
      expect(act).toThrow(`use one of: ${schemeIds().join(', ')}`);
    },
  );
});
