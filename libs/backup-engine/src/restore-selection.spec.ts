import { BackupEngineError, UnsafePathError } from './errors';
import type { BackupManifest, TreeEntry } from './manifest';
import { planRootRestores, selectTree } from './restore-selection';

const file = (path: string, size = 1): TreeEntry => ({
  type: 'file',
  path,
  mode: 0o644,
  size,
  mtimeMs: 0,
  sha256: '',
  chunks: [],
});
const dir = (path: string, mode = 0o755): TreeEntry => ({ type: 'dir', path, mode });

function manifest(entries: TreeEntry[], roots?: Record<string, string>): BackupManifest {
  return {
    version: 1,
    id: 'b1',
    createdAt: '',
    labels: {},
    ...(roots && { roots }),
    entries,
    chunks: {},
    packs: [],
    stats: {} as BackupManifest['stats'],
    sha256: '',
  };
}

const multi = manifest(
  [
    dir('config/app', 0o750),
    file('config/app/app.yml', 10),
    dir('config/app/conf.d'),
    file('config/app/conf.d/x.yml', 20),
    dir('config/other'),
    dir('data/shared'),
    file('data/shared/blob', 30),
    { type: 'symlink', path: 'config/app/shared', target: '../../data/shared' },
    {
      type: 'database',
      path: 'database/app.dump',
      database: 'app',
      format: 'pg-custom',
      size: 5,
      sha256: '',
      chunks: [],
    },
  ],
  { 'config/app': '/etc/app', 'config/other': '/etc/other', 'data/shared': '/srv/shared' },
);

describe(selectTree.name, () => {
  it('returns everything when nothing is selected', () => {
    const sut = selectTree(manifest([dir('a'), file('a/b')]));

    expect(sut.entries.map((e) => e.path)).toEqual(['a', 'a/b']);
    expect(sut.content.map((e) => e.path)).toEqual(['a/b']);
    expect(sut.rootMode).toBeUndefined();
  });

  it('re-roots the entries under the selection and keeps the selected directory mode for the target', () => {
    const sut = selectTree(multi, 'data/shared');

    expect(sut.entries.map((e) => e.path)).toEqual(['blob']);
    expect(sut.content.map((e) => e.path)).toEqual(['data/shared/blob']);
    expect(sut.rootMode).toBe(0o755);
  });

  it('selects a part with no entry of its own (config holds config/app and config/other)', () => {
    const sut = selectTree(manifest([dir('config/app'), file('config/app/a'), dir('config/other')]), 'config');

    expect(sut.entries.map((e) => e.path)).toEqual(['app', 'app/a', 'other']);
    expect(sut.rootMode).toBeUndefined();
  });

  it('keeps a link that leaves the selection as it was recorded', () => {
    const sut = selectTree(multi, 'config/app');

    expect(sut.entries.filter((e) => e.type === 'symlink')).not.toHaveLength(0);
  });

  it.each<[string, string, RegExp]>([
    ['an unknown part', 'logs', /holds nothing under "logs" \(it holds: config, data, database\)/],
    ['a file', 'data/shared/blob', /is a file, not a directory/],
    ['a prefix with ..', 'data/../config', /restore selection "data\/\.\.\/config" is invalid/],
    ['a prefix of a name', 'conf', /holds nothing under "conf"/],
  ])('refuses %s', (_name, select, message) => {
    const act = () => selectTree(multi, select);

    expect(act).toThrow(BackupEngineError);
    expect(act).toThrow(message);
  });
});

describe(planRootRestores.name, () => {
  it('plans every root matching a part, each back to its directory', () => {
    const sut = planRootRestores(
      manifest([dir('config/app'), file('config/app/a'), dir('config/other'), dir('data/shared')], multi.roots),
      'config',
    );

    expect(sut.map((p) => [p.prefix, p.target, p.tree.entries.map((e) => e.path)])).toEqual([
      ['config/app', '/etc/app', ['a']],
      ['config/other', '/etc/other', []],
    ]);
  });

  it('plans all roots without a selection, and a part of one root below its directory', () => {
    const m = manifest([dir('config/app'), dir('config/app/conf.d'), file('config/app/conf.d/x'), dir('data/shared')], {
      'config/app': '/etc/app',
      'data/shared': '/srv/shared',
    });

    const all = planRootRestores(m);
    const part = planRootRestores(m, 'config/app/conf.d');

    expect(all.map((p) => p.target)).toEqual(['/etc/app', '/srv/shared']);
    expect(part.map((p) => [p.prefix, p.target, p.tree.entries.map((e) => e.path)])).toEqual([
      ['config/app/conf.d', '/etc/app/conf.d', ['x']],
    ]);
  });

  it('plans roots, or a part of one, going back to directories this host backs up', () => {
    const m = manifest([dir('config/app'), dir('config/app/conf.d'), dir('data/shared')], {
      'config/app': '/etc/app',
      'data/shared': '/srv/shared',
    });

    const all = planRootRestores(m, undefined, ['/etc/app/', '/srv/shared', '/var/log/app']);
    const part = planRootRestores(m, 'config/app/conf.d', ['/etc/app']);

    expect(all.map((p) => p.target)).toEqual(['/etc/app', '/srv/shared']);
    expect(part.map((p) => p.target)).toEqual(['/etc/app/conf.d']);
  });

  it('refuses a root going back to a directory this host does not back up, naming it and the settings', () => {
    const m = manifest([dir('config/app'), dir('data/shared')], { 'config/app': '/etc/app', 'data/shared': '/etc' });

    const act = () => planRootRestores(m, 'data', ['/etc/app', '/srv/shared']);

    expect(act).toThrow(UnsafePathError);
    expect(act).toThrow(
      /refusing to restore "\/etc": root data\/shared of backup .* goes back to a directory this host's settings do not back up\. Restore it somewhere else with --to <dir>, or add \/etc to the backup paths/,
    );
  });

  it.each<[string, BackupManifest, string | undefined, RegExp]>([
    [
      'a backup without roots',
      manifest([dir('a')]),
      undefined,
      /does not record where its directories came from .*restore it into a directory with --to <dir>/,
    ],
    [
      'no matching root',
      manifest([dir('config/app')], { 'config/app': '/etc/app' }),
      'logs',
      /has no root under "logs"; its roots are config\/app/,
    ],
    [
      'a relative root directory',
      manifest([dir('config/app')], { 'config/app': 'etc/app' }),
      undefined,
      /no plain absolute directory/,
    ],
    [
      'the filesystem root',
      manifest([dir('config/app')], { 'config/app': '/' }),
      undefined,
      /no plain absolute directory/,
    ],
    [
      'overlapping directories',
      manifest([dir('a/x'), dir('b/y')], { 'a/x': '/srv', 'b/y': '/srv/y' }),
      undefined,
      /overlapping directories/,
    ],
  ])('refuses %s', (_name, m, select, message) => {
    expect(() => planRootRestores(m, select)).toThrow(message);
  });
});
