import {
  buildDemoArtifact,
  buildMaliciousArtifact,
  MaliciousArtifactKinds,
  writeTar,
  writeTarGz,
  type TarEntry,
} from '@lockstep/testing';
import { execFileSync } from 'node:child_process';
import {
  open as openFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AgentErrorCode, InstallStepError } from '../errors';
import { unpackTarGz, type UnpackLimits } from './archive-unpacker';

describe(unpackTarGz.name, () => {
  let root: string;
  let dest: string;
  const limits = { maxUnpackedBytes: 8 * 1024 * 1024 };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'unpack-'));
    await mkdir(join(root, 'app', 'releases'), { recursive: true });
    dest = join(root, 'app', 'releases', '1.0.0.partial');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const archive = async (bytes: Buffer): Promise<string> => {
    const path = join(root, 'artifact.tar.gz');
    await writeFile(path, bytes);
    return path;
  };
  const unpack = async (entries: TarEntry[] | Buffer, l: UnpackLimits = limits) =>
    unpackTarGz(await archive(Buffer.isBuffer(entries) ? entries : writeTarGz(entries)), dest, l);
  const refusal = async (act: Promise<unknown>): Promise<InstallStepError> => {
    const err = await act.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InstallStepError);
    return err as InstallStepError;
  };

  it('unpacks the demo app with its executable hook', async () => {
    const sut = await unpack(buildDemoArtifact('1.0.0'));

    expect(sut).toMatchObject({ files: 4, directories: 1, symlinks: 0 });
    expect(await readFile(join(dest, 'VERSION'), 'utf8')).toBe('1.0.0\n');
    expect((await stat(join(dest, 'hooks', 'migrate'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dest, 'server.js'))).mode & 0o777).toBe(0o644);
  });

  it('keeps symlinks and hard links that stay inside, creates missing parents, reads long PAX paths', async () => {
    const deep = `${'d'.repeat(80)}/${'e'.repeat(80)}/file.txt`;
    const sut = await unpack([
      { path: 'lib/cli.js', data: 'cli' },
      { path: 'node_modules/.bin/cli', type: 'symlink', linkpath: '../../lib/cli.js' },
      { path: 'copy.js', type: 'hardlink', linkpath: 'lib/cli.js' },
      { path: deep, data: 'deep' },
      { path: './', type: 'dir' },
    ]);

    expect(sut.symlinks).toBe(1);
    expect(await readlink(join(dest, 'node_modules/.bin/cli'))).toBe('../../lib/cli.js');
    expect(await readFile(join(dest, 'node_modules/.bin/cli'), 'utf8')).toBe('cli');
    expect(await readFile(join(dest, 'copy.js'), 'utf8')).toBe('cli');
    expect(await readFile(join(dest, deep), 'utf8')).toBe('deep');
  });

  it('strips setuid and group/other write bits', async () => {
    await unpack([
      { path: 'tool', data: '#!/bin/sh\n', mode: 0o4777 },
      { path: 'data', data: 'x', mode: 0o666 },
    ]);

    expect((await stat(join(dest, 'tool'))).mode & 0o7777).toBe(0o755);
    expect((await stat(join(dest, 'data'))).mode & 0o7777).toBe(0o644);
  });

  it.each<[string, TarEntry[], RegExp]>([
    ['a ../ entry', [{ path: '../escaped.txt', data: 'x' }], /climbs out of the release/],
    ['a nested ../ entry', [{ path: 'a/../../escaped.txt', data: 'x' }], /climbs out/],
    ['an absolute path', [{ path: '/tmp/escaped.txt', data: 'x' }], /absolute path/],
    [
      'a symlink leaving the release',
      [{ path: 'up', type: 'symlink', linkpath: '../../outside' }],
      /points to "..\/..\/outside", outside the release/,
    ],
    ['an absolute symlink', [{ path: 'etc', type: 'symlink', linkpath: '/etc' }], /absolute path "\/etc"/],
    [
      'a symlink escaping through another symlink',
      [
        { path: 'b', type: 'symlink', linkpath: '.' },
        { path: 'a', type: 'symlink', linkpath: 'b/../escaped' },
      ],
      /outside the release through other symlinks/,
    ],
    [
      'a write through a symlink',
      [
        { path: 'sub', type: 'dir' },
        { path: 'link', type: 'symlink', linkpath: 'sub' },
        { path: 'link/file', data: 'x' },
      ],
      /written through the symlink "link"/,
    ],
    ['a hard link outside', [{ path: 'passwd', type: 'hardlink', linkpath: '/etc/passwd' }], /absolute path/],
    [
      'a hard link to a symlink',
      [
        { path: 'l', type: 'symlink', linkpath: 'x' },
        { path: 'h', type: 'hardlink', linkpath: 'l' },
      ],
      /not a regular file unpacked before it/,
    ],
    ['a character device', [{ path: 'null', type: 'chardev' }], /device file/],
    ['a block device', [{ path: 'sda', type: 'blockdev' }], /device file/],
    ['a FIFO', [{ path: 'pipe', type: 'fifo' }], /FIFO/],
    [
      'a duplicate entry',
      [
        { path: 'a', data: '1' },
        { path: 'a', data: '2' },
      ],
      /more than once/,
    ],
    [
      'a symlink replacing a file',
      [
        { path: 'a', data: '1' },
        { path: 'a', type: 'symlink', linkpath: 'b' },
      ],
      /more than once/,
    ],
  ])('refuses %s', async (_what, entries, message) => {
    const err = await refusal(unpack([{ path: 'ok.txt', data: 'fine' }, ...entries]));

    expect(err.code).toBe(AgentErrorCode.UnsafeArchive);
    expect(err.message).toMatch(message);
    expect(await readdir(join(root, 'app', 'releases'))).toEqual(['1.0.0.partial']);
    expect(await readdir(root)).toEqual(['app', 'artifact.tar.gz']);
  });

  it.each(MaliciousArtifactKinds.filter((k) => k !== 'bomb'))(
    'refuses the %s artifact of the testing lib',
    async (kind) => {
      const err = await refusal(unpack(buildMaliciousArtifact(kind)));

      expect(err.code).toBe(AgentErrorCode.UnsafeArchive);
      await expect(lstat(`/tmp/lockstep-escaped-${process.pid}.txt`)).rejects.toThrow(/ENOENT/);
    },
  );

  it('refuses an archive expanding past the limit before writing past it', async () => {
    const err = await refusal(unpack(buildMaliciousArtifact('bomb', '1.0.0', { bombBytes: 32 * 1024 * 1024 })));

    expect(err.code).toBe(AgentErrorCode.ArchiveTooLarge);
    expect(err.message).toMatch(/AGENT_MAX_UNPACKED_BYTES/);
    await expect(lstat(join(dest, 'zeros.bin'))).rejects.toThrow(/ENOENT/);
  });

  it.each<[string, TarEntry]>([
    ['a directory', { path: 'dir', type: 'dir', data: Buffer.alloc(64 * 1024, 7) }],
    ['a symlink', { path: 'link', type: 'symlink', linkpath: 'ok.txt', data: Buffer.alloc(64 * 1024, 7) }],
    ['a hard link', { path: 'hard', type: 'hardlink', linkpath: 'ok.txt', data: Buffer.alloc(64 * 1024, 7) }],
  ])('counts the payload of %s against the size limit', async (what, entry) => {
    const err = await refusal(unpack([{ path: 'ok.txt', data: 'fine' }, entry], { maxUnpackedBytes: 32 * 1024 }));

    expect(err.code).toBe(AgentErrorCode.ArchiveTooLarge);
    expect(err.message).toMatch(new RegExp(`AGENT_MAX_UNPACKED_BYTES\\) at ${what} "${entry.path}/?"`));
  });

  it('reports an archive without its end-of-archive blocks as cut short', async () => {
    const err = await refusal(unpack(gzipSync(writeTar([{ path: 'a', data: 'x' }], { endBlocks: false }))));

    expect(err.code).toBe(AgentErrorCode.ArchiveCorrupt);
    expect(err.message).toMatch(/ends without its end-of-archive blocks/);
  });

  it('accepts an archive padded past its two end-of-archive blocks', async () => {
    const tar = Buffer.concat([writeTar([{ path: 'a', data: 'x' }]), Buffer.alloc(10 * 512)]);

    const sut = await unpack(gzipSync(tar));

    expect(sut.files).toBe(1);
  });

  it('stops an unpack that runs past its time limit, naming AGENT_UNPACK_TIMEOUT', async () => {
    const fifo = join(root, 'stalled.tar.gz');
    execFileSync('mkfifo', [fifo]);
    const bytes = writeTarGz([{ path: 'big', data: Buffer.alloc(256 * 1024, 1) }]);
    // A reader that stalls: half the archive, then nothing more until the test ends.
    const writer = openFile(fifo, 'w').then(async (h) => {
      await h.write(bytes.subarray(0, bytes.length >> 1));
      return h;
    });
    const started = Date.now();

    const err = await refusal(unpackTarGz(fifo, dest, { ...limits, timeLimitMs: 300 }));

    expect(err.code).toBe(AgentErrorCode.UnpackTimedOut);
    expect(err.message).toMatch(/did not finish within 300 ms \(AGENT_UNPACK_TIMEOUT\)/);
    expect(Date.now() - started).toBeLessThan(5000);
    await (await writer).close();
  }, 10_000);

  it('refuses too many entries', async () => {
    const entries = Array.from({ length: 20 }, (_, i) => ({ path: `f${i}`, data: '' }));

    const err = await refusal(unpack(entries, { maxUnpackedBytes: 1e6, maxEntries: 10 }));

    expect(err.message).toMatch(/more than 10 entries/);
  });

  it.each<[string, () => Buffer]>([
    ['not gzip', () => Buffer.from('plain text, not an archive')],
    ['gzip of garbage', () => gzipSync(Buffer.from('x'.repeat(1000)))],
    ['a truncated archive', () => gzipSync(writeTar([{ path: 'big', data: Buffer.alloc(4096, 1) }]).subarray(0, 1024))],
    ['a truncated gzip stream', () => writeTarGz([{ path: 'big', data: Buffer.alloc(4096, 1) }]).subarray(0, 40)],
    [
      'a damaged header',
      () => {
        const tar = writeTar([{ path: 'a', data: 'x' }]);
        tar[10] ^= 0xff;
        return gzipSync(tar);
      },
    ],
  ])('reports %s as corrupt', async (_what, bytes) => {
    const err = await refusal(unpack(bytes()));

    expect(err.code).toBe(AgentErrorCode.ArchiveCorrupt);
  });
});
