import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppDirectory } from './app-directory';

jest.mock('node:fs/promises', () => {
  const actual = jest.requireActual<typeof fsp>('node:fs/promises');
  return { ...actual, rm: jest.fn(actual.rm) };
});
const rmMock = fsp.rm as jest.MockedFunction<typeof fsp.rm>;
const realRm = jest.requireActual<typeof fsp>('node:fs/promises').rm;

/** What an agent killed in the middle of a recursive delete leaves: a throw instead of the rest. */
const killDuringDeleteOf = (matches: (path: string) => boolean) =>
  rmMock.mockImplementation(async (path, options) => {
    if (matches(String(path))) throw new Error('SIGKILL');
    return realRm(path, options);
  });

describe(AppDirectory.name, () => {
  let root: string;
  let sut: AppDirectory;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'appdir-'));
    sut = new AppDirectory(root);
    await sut.init();
  });
  afterEach(async () => {
    rmMock.mockImplementation(realRm);
    await fsp.rm(root, { recursive: true, force: true });
  });

  /** Unpacks (by hand) and promotes a release with a couple of files. */
  const release = async (version: string): Promise<void> => {
    const partial = await sut.freshPartial(version);
    await mkdir(join(partial, 'lib'), { recursive: true });
    await writeFile(join(partial, 'VERSION'), `${version}\n`);
    await writeFile(join(partial, 'lib', 'server.js'), `console.log(${JSON.stringify(version)});\n`);
    await sut.promote(version, `sha-${version}`);
  };

  it('forgets a release before deleting its tree, so a kill in between leaves nothing to reuse', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      await release(v);
      await sut.swapCurrent(v);
    }
    killDuringDeleteOf((path) => path.includes('1.0.0'));

    await expect(sut.prune(1, ['1.2.0', '1.1.0'])).rejects.toThrow('SIGKILL');

    expect(await sut.record('1.0.0')).toBeUndefined();
    expect(await sut.keptRelease('1.0.0', 'sha-1.0.0')).toBe(false);
    expect(await sut.releases()).not.toContain('1.0.0');
  });

  it('clears at start what an interrupted delete left behind', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await release(v);
    killDuringDeleteOf((path) => path.includes('1.0.0'));
    await expect(sut.prune(1, ['1.2.0', '1.1.0'])).rejects.toThrow('SIGKILL');
    rmMock.mockImplementation(realRm);

    await new AppDirectory(root).init();

    expect((await readdir(sut.releasesDir)).sort()).toEqual(['1.1.0', '1.2.0']);
  });

  it('reuses a kept release only while its tree matches the hash stored when it was unpacked', async () => {
    await release('1.0.0');

    expect(await sut.keptRelease('1.0.0', 'sha-1.0.0')).toBe(true);
    expect(await sut.keptRelease('1.0.0', 'sha-of-another-artifact')).toBe(false);
    expect((await sut.record('1.0.0'))?.treeHash).toMatch(/^[0-9a-f]{64}$/);

    await writeFile(join(sut.releaseDir('1.0.0'), 'lib', 'server.js'), '');
    expect(await sut.keptRelease('1.0.0', 'sha-1.0.0')).toBe(false);
  });

  it('still reuses a kept release its app wrote logs and caches into: only what was unpacked counts', async () => {
    await release('1.0.0');

    await writeFile(join(sut.releaseDir('1.0.0'), 'app.log'), 'started\n');
    await fsp.mkdir(join(sut.releaseDir('1.0.0'), '__pycache__'));
    await writeFile(join(sut.releaseDir('1.0.0'), '__pycache__', 'x.pyc'), 'compiled');

    expect(await sut.keptRelease('1.0.0', 'sha-1.0.0')).toBe(true);
  });

  it('does not reuse a release whose recorded tree was swapped or removed', async () => {
    await release('1.0.0');
    const trees = join(sut.stateDir, 'release-trees', '1.0.0.json');
    await writeFile(trees, JSON.stringify({ 'only-this.txt': 'f:-:0:x' }));

    expect(await sut.keptRelease('1.0.0', 'sha-1.0.0')).toBe(false);
    await fsp.rm(trees);
    expect(await sut.keptRelease('1.0.0', 'sha-1.0.0')).toBe(false);
  });

  it('does not reuse a release recorded without a tree hash (by an older agent)', async () => {
    await release('1.0.0');
    const records = join(sut.stateDir, 'releases.json');
    const file = JSON.parse(await fsp.readFile(records, 'utf8'));
    delete file.releases['1.0.0'].treeHash;
    await writeFile(records, JSON.stringify(file));

    expect(await sut.keptRelease('1.0.0', 'sha-1.0.0')).toBe(false);
    expect(existsSync(sut.releaseDir('1.0.0'))).toBe(true);
  });
});
