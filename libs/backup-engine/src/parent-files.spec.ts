import type { BackupManifest, ChunkLocation, FileEntry } from './manifest';
import { ParentFiles, type FileIdentity } from './parent-files';

const startedAt = Date.parse('2025-01-02T03:04:05.000Z');
const loc: ChunkLocation = { pack: 'p', offset: 0, length: 1, size: 1 };
const identity: FileIdentity = { size: 10, mtimeMs: startedAt - 60_000.25, ctimeMs: startedAt - 60_000.5, ino: 42 };
const recorded = (extra: Partial<FileEntry & { ctimeMs: number; ino: number }> = {}) =>
  ({
    type: 'file',
    path: 'a/b.txt',
    mode: 0o644,
    sha256: 'f'.repeat(64),
    chunks: ['c1', 'c2'],
    ...identity,
    ...extra,
  }) as FileEntry;

function manifest(
  entries: FileEntry[],
  id = 'backup_1',
  createdAt = new Date(startedAt).toISOString(),
): BackupManifest {
  return {
    version: 1,
    id,
    createdAt,
    labels: {},
    entries,
    chunks: {},
    packs: [],
    stats: {} as BackupManifest['stats'],
    sha256: '',
  };
}

describe(ParentFiles.name, () => {
  const known = new Map([
    ['c1', loc],
    ['c2', loc],
  ]);

  it('hands back the parent entry of an unchanged file', () => {
    const sut = new ParentFiles(manifest([recorded()]));

    const entry = sut.unchanged('a/b.txt', identity, known);

    expect(entry?.chunks).toEqual(['c1', 'c2']);
  });

  it.each([
    ['another path', 'a/c.txt', identity, known, recorded()],
    ['another size', 'a/b.txt', { ...identity, size: 11 }, known, recorded()],
    ['another mtime', 'a/b.txt', { ...identity, mtimeMs: identity.mtimeMs + 0.001 }, known, recorded()],
    [
      'another ctime (content rewritten, mtime put back)',
      'a/b.txt',
      { ...identity, ctimeMs: identity.ctimeMs + 1 },
      known,
      recorded(),
    ],
    ['another inode (file replaced)', 'a/b.txt', { ...identity, ino: 43 }, known, recorded()],
    ['a chunk no longer stored (pruned)', 'a/b.txt', identity, new Map([['c1', loc]]), recorded()],
    [
      'no ctime and inode recorded (older manifest)',
      'a/b.txt',
      identity,
      known,
      recorded({ ctimeMs: undefined, ino: undefined }),
    ],
    [
      'a change at or after the parent started',
      'a/b.txt',
      { ...identity, mtimeMs: startedAt, ctimeMs: startedAt + 5 },
      known,
      recorded({ mtimeMs: startedAt, ctimeMs: startedAt + 5 }),
    ],
  ])('reads the file again for %s', (_what, path, now, chunks, entry) => {
    const sut = new ParentFiles(manifest([entry]));

    const found = sut.unchanged(path, now, chunks);

    expect(found).toBeUndefined();
  });

  it('reads every file without a parent', () => {
    const sut = new ParentFiles();

    const found = sut.unchanged('a/b.txt', identity, known);

    expect(found).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('takes the newest backup that holds files as the parent', async () => {
    const backups: Record<string, BackupManifest> = {
      old: manifest([recorded({ path: 'old.txt' })], 'old'),
      files: manifest([recorded({ path: 'new.txt' })], 'files'),
      dbOnly: manifest([], 'dbOnly'),
    };
    const listed = [
      { key: 'manifests/old.json', lastModified: new Date(1000) },
      { key: 'manifests/dbOnly.json', lastModified: new Date(3000) },
      { key: 'manifests/files.json', lastModified: new Date(2000) },
    ].map((o) => ({ ...o, size: 1, etag: '' }));
    const repository = {
      store: { list: async () => listed },
      getManifest: async (id: string) => backups[id],
    } as never;

    const sut = await ParentFiles.loadLatest(repository);

    expect(sut.parent?.id).toBe('files');
  });
});
