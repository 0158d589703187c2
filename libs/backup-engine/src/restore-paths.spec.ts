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
    ['absolute link', [{ type: 'symlink', path: 'l', target: '/etc/passwd' }]],
    ['escaping link', [{ type: 'symlink', path: 'a/l', target: '../../x' }]],
    ['entry below link', [{ type: 'symlink', path: 'l', target: 'd' }, { type: 'dir', path: 'l/x', mode: 0o755 }]],
  ])('refuses %s', (_name, entries) => {
    const act = () => checkEntries(entries);

    expect(act).toThrow(UnsafePathError);
  });

  it('accepts links that stay inside the target', () => {
    const entries: TreeEntry[] = [
      { type: 'dir', path: 'a', mode: 0o755 },
      { type: 'symlink', path: 'a/l', target: '../b/c' },
      { type: 'symlink', path: 'top', target: 'a' },
    ];

    expect(() => checkEntries(entries)).not.toThrow();
    expect(safeJoin('/r', 'a/b')).toBe('/r/a/b');
  });
});
