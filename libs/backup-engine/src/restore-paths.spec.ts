import { UnsafePathError } from './errors';
import type { TreeEntry } from './manifest';
import { checkEntries, safeJoin } from './restore-paths';

describe(checkEntries.name, () => {
  it.each<[string, TreeEntry[]]>([
    ['absolute path', [{ type: 'dir', path: '/etc', mode: 0o755 }]],
    ['parent segment', [{ type: 'file', path: 'a/../../x', mode: 0o644, size: 0, mtimeMs: 0, sha256: '', chunks: [] }]],
    ['leading ..', [{ type: 'dir', path: '..', mode: 0o755 }]],
    ['empty segment', [{ type: 'dir', path: 'a//b', mode: 0o755 }]],
    ['backslash', [{ type: 'dir', path: '..\\x', mode: 0o755 }]],
    ['empty link target', [{ type: 'symlink', path: 'l', target: '' }]],
    [
      'entry below link',
      [
        { type: 'symlink', path: 'l', target: 'd' },
        { type: 'dir', path: 'l/x', mode: 0o755 },
      ],
    ],
    [
      'entry below an absolute link',
      [
        { type: 'symlink', path: 'l', target: '/etc' },
        { type: 'file', path: 'l/passwd', mode: 0o644, size: 0, mtimeMs: 0, sha256: '', chunks: [] },
      ],
    ],
  ])('refuses %s', (_name, entries) => {
    const act = () => checkEntries(entries);

    expect(act).toThrow(UnsafePathError);
  });

  it('accepts links wherever they point: they are recreated as recorded, never followed', () => {
    const entries: TreeEntry[] = [
      { type: 'dir', path: 'a', mode: 0o755 },
      { type: 'symlink', path: 'a/l', target: '../b/c' },
      { type: 'symlink', path: 'top', target: 'a' },
      { type: 'symlink', path: 'log', target: '/var/log/app.log' },
      { type: 'symlink', path: 'a/up', target: '../../outside' },
    ];

    expect(() => checkEntries(entries)).not.toThrow();
    expect(safeJoin('/r', 'a/b')).toBe('/r/a/b');
  });
});
