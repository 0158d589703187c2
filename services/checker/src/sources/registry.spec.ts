import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ReleaseSources, getSource } from './registry';

describe('release source registry', () => {
  it('lists exactly the plugin folders, each under its own id', () => {
    const folders = readdirSync(join(__dirname), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();

    expect(Object.keys(ReleaseSources).sort()).toEqual(folders);
    for (const id of folders) expect(getSource(id).id).toBe(id);
  });

  it('names the valid ids for an unknown one', () => {
    expect(() => getSource('oci')).toThrow(/use one of tuf, npm/);
  });
});
