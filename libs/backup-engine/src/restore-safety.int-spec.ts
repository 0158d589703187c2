import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinioObjectStore } from '@lockstep/storage';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { BackupEngine, BackupEngineError, BackupErrorCode, checkRestoreTarget } from '@lockstep/backup-engine';
import { walkTree } from './tree-walker';

/** Every entry under `root` with its bytes, mode, owner, mtime and inode: "unchanged byte for byte", and then some. */
async function exactly(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const self = await lstat(root);
  out['.'] = `${self.mode} ${self.uid}:${self.gid} ${self.ino}`;
  for await (const e of walkTree(root)) {
    const st = await lstat(join(root, e.path));
    const body = e.type === 'file' ? (await readFile(join(root, e.path))).toString('base64') : '';
    out[e.path] = `${e.type} ${st.mode} ${st.uid}:${st.gid} ${st.mtimeMs} ${st.ino} ${body}`;
  }
  return out;
}

const isRoot = process.getuid?.() === 0;

describe('BackupEngine restores that cannot destroy', () => {
  let s3: S3ServerHandle;
  let work: string;
  let sut: BackupEngine;
  let backupId: string;
  let source: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    work = await mkdtemp(join(tmpdir(), 'lockstep-restore-safety-'));
    source = join(work, 'source');
    await mkdir(join(source, 'data/sub'), { recursive: true });
    await writeFile(join(source, 'data/app.db'), 'rows\n');
    await writeFile(join(source, 'data/sub/tool'), '#!/bin/sh\n');
    await chmod(join(source, 'data/sub/tool'), 0o6755);
    if (isRoot) await chown(join(source, 'data/app.db'), 4321, 4322);
    if (isRoot) await chown(join(source, 'data'), 4323, 4324);
    const store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('safe'),
    });
    sut = await BackupEngine.open(store);
    backupId = (await sut.backup({ sources: [{ prefix: 'data/shared', dir: join(source, 'data') }] })).id;
  });
  afterAll(async () => {
    await s3.stop(true);
    await rm(work, { recursive: true, force: true });
  });

  it('refuses an exclusive restore into a non-empty directory, naming it, and leaves it unchanged byte for byte', async () => {
    const to = join(work, 'srv');
    await mkdir(join(to, 'data'), { recursive: true });
    await writeFile(join(to, 'data/keep.txt'), 'placed there beforehand\n');
    const before = await exactly(to);

    const act = sut.restore(backupId, to, { exclusive: true });

    await expect(act).rejects.toThrow(BackupEngineError);
    await expect(act).rejects.toMatchObject({
      code: BackupErrorCode.RestoreTargetNotEmpty,
      message: expect.stringContaining(`refusing to restore into ${to}: it is not empty`),
    });
    expect(await exactly(to)).toEqual(before);
  });

  it('checkRestoreTarget refuses a non-empty directory reached through a link and accepts a missing or empty one', async () => {
    const full = join(work, 'full');
    await mkdir(full);
    await writeFile(join(full, 'x'), 'x');
    await symlink(full, join(work, 'full-link'));
    await mkdir(join(work, 'empty'));

    await expect(checkRestoreTarget(join(work, 'full-link'))).rejects.toMatchObject({
      code: BackupErrorCode.RestoreTargetNotEmpty,
      message: expect.stringContaining(`${join(work, 'full-link')} (${full})`),
    });
    await expect(checkRestoreTarget(join(work, 'empty'))).resolves.toBeUndefined();
    await expect(checkRestoreTarget(join(work, 'missing/deeper'))).resolves.toBeUndefined();
  });

  it('fills an empty directory in place (same inode) and a missing one, exclusively', async () => {
    const empty = join(work, 'into-empty');
    await mkdir(empty);
    const inode = (await stat(empty)).ino;

    await sut.restore(backupId, empty, { select: 'data/shared', exclusive: true });
    await sut.restore(backupId, join(work, 'into-missing/data'), { select: 'data/shared', exclusive: true });

    expect((await stat(empty)).ino).toBe(inode);
    expect(await readFile(join(empty, 'app.db'), 'utf8')).toBe('rows\n');
    expect(await readFile(join(work, 'into-missing/data/app.db'), 'utf8')).toBe('rows\n');
  });

  it('restores a root that is a symbolic link into the directory it points to, and the link stays', async () => {
    const real = join(work, 'mnt-data');
    await mkdir(real);
    await writeFile(join(real, 'old.txt'), 'old\n');
    const link = join(work, 'shared');
    await symlink(real, link);
    const store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('link'),
    });
    const engine = await BackupEngine.open(store);
    const { id } = await engine.backup({ sources: [{ prefix: 'data/shared', dir: link }] });
    await writeFile(join(real, 'old.txt'), 'changed after the backup\n');
    await writeFile(join(real, 'new.txt'), 'added after the backup\n');

    const result = await engine.restoreRoots(id, { allowedDirs: [link] });

    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(real);
    expect(await readFile(join(real, 'old.txt'), 'utf8')).toBe('old\n');
    await expect(lstat(join(real, 'new.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(result.roots[0].target).toBe(real);
  });

  it('clears setuid and setgid of restored files unless asked to keep them', async () => {
    await sut.restore(backupId, join(work, 'plain'), { select: 'data/shared' });
    await sut.restore(backupId, join(work, 'special'), { select: 'data/shared', keepSpecialBits: true });

    expect((await stat(join(work, 'plain/sub/tool'))).mode & 0o7777).toBe(0o755);
    expect((await stat(join(work, 'special/sub/tool'))).mode & 0o7777).toBe(0o6755);
  });

  (isRoot ? it : it.skip)('records file owners and puts them back when the process may (root)', async () => {
    const manifest = await sut.manifest(backupId);

    await sut.restore(backupId, join(work, 'owned'), { select: 'data/shared' });

    expect(manifest.entries.find((e) => e.path === 'data/shared/app.db')).toMatchObject({ uid: 4321, gid: 4322 });
    const st = await stat(join(work, 'owned/app.db'));
    expect([st.uid, st.gid]).toEqual([4321, 4322]);
    const root = await stat(join(work, 'owned'));
    expect([root.uid, root.gid]).toEqual([4323, 4324]);
  });
});
