import { createReadStream } from 'node:fs';
import { constants, copyFile, lstat, mkdir, open, readlink, symlink } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { AgentErrorCode, InstallStepError } from '../errors';
import { isZeroBlock, parsePaxRecords, parseTarHeader, TAR_BLOCK, TarFormatError, type TarHeader } from './tar-format';

/** Limits of one unpack. */
export interface UnpackLimits {
  /** Total bytes the archive may expand to (file contents plus metadata records). */
  maxUnpackedBytes: number;
  /** Most headers the archive may have. Default 100 000. */
  maxEntries?: number;
  /** Longest an unpack may take (AGENT_UNPACK_TIMEOUT). Default DEFAULT_UNPACK_TIME_LIMIT_MS. */
  timeLimitMs?: number;
}

/** Time limit of an unpack when the caller sets none: far above any sane release, far below "forever". */
export const DEFAULT_UNPACK_TIME_LIMIT_MS = 10 * 60_000;

/** What an unpack produced. */
export interface UnpackResult {
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
}

/** Largest PAX / GNU long-name record accepted. */
const MAX_META_RECORD = 1024 * 1024;

const unsafe = (message: string) =>
  new InstallStepError(
    AgentErrorCode.UnsafeArchive,
    `${message}; the whole artifact is refused and nothing was installed`,
    { step: 'unpacking' },
  );
const corrupt = (message: string, cause?: unknown) =>
  new InstallStepError(AgentErrorCode.ArchiveCorrupt, `${message}; the artifact is not a valid .tar.gz`, {
    step: 'unpacking',
    cause,
  });
const timedOut = (ms: number) =>
  new InstallStepError(
    AgentErrorCode.UnpackTimedOut,
    `unpacking did not finish within ${ms} ms (AGENT_UNPACK_TIMEOUT); nothing was installed. Check the disk under AGENT_DIR, or raise AGENT_UNPACK_TIMEOUT for a very large release`,
    { step: 'unpacking' },
  );
const show = (s: string): string => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);

/** Reads exact byte counts from an async stream of chunks. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  /** Exactly n bytes; undefined at a clean end of input; throws on a partial read. */
  async read(n: number): Promise<Buffer | undefined> {
    await this.fill(n);
    if (this.buffered === 0 && this.ended) return undefined;
    if (this.buffered < n) throw corrupt('the archive ends in the middle of an entry');
    return this.take(n);
  }

  /** Reads one header block; throws when the input ends before the end-of-archive blocks. */
  async header(): Promise<Buffer> {
    const block = await this.read(TAR_BLOCK);
    if (!block) throw corrupt('the archive ends without its end-of-archive blocks (it was cut short)');
    return block;
  }

  /** Yields exactly n bytes in pieces (without buffering them all). */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      await this.fill(1);
      if (this.buffered === 0) throw corrupt('the archive ends in the middle of a file');
      const piece = this.take(Math.min(left, this.buffered));
      left -= piece.length;
      yield piece;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const piece of this.pieces(n)) void piece;
  }
}

const paddingOf = (size: number): number => (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;

/**
 * Splits an archive path into safe relative segments, or throws: absolute paths, `..`,
 * NUL bytes and Windows drive letters are refused. `.` and empty segments are dropped.
 */
export function safeSegments(path: string, what = 'entry'): string[] {
  if (path.includes('\0')) throw unsafe(`archive ${what} ${show(path)} contains a NUL byte`);
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path))
    throw unsafe(`archive ${what} ${show(path)} is an absolute path`);
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw unsafe(`archive ${what} ${show(path)} climbs out of the release with ".."`);
  return segments;
}

/**
 * Unpacks a .tar.gz into `destDir` (which must not exist yet), refusing anything that could
 * write or point outside it: absolute paths, `..`, symlinks whose target leaves the release
 * (lexically or through another symlink), hard links to anything but a regular file already
 * unpacked, entries beneath a symlink, device files and FIFOs, duplicate entries, and archives
 * expanding past `maxUnpackedBytes` (every entry's payload counts, a directory's or a link's
 * too). Files get mode 0644 or 0755 (no setuid, no group/other write). An archive that ends
 * before its end-of-archive blocks is refused as cut short, and an unpack still running after
 * `timeLimitMs` is stopped. On error the caller removes `destDir`.
 */
export async function unpackTarGz(archivePath: string, destDir: string, limits: UnpackLimits): Promise<UnpackResult> {
  await mkdir(destDir, { mode: 0o755 });
  const file = createReadStream(archivePath);
  const gunzip = file.pipe(createGunzip());
  file.once('error', (err) => gunzip.destroy(err));
  const iterator = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const timeLimitMs = limits.timeLimitMs ?? DEFAULT_UNPACK_TIME_LIMIT_MS;
  // Destroying the stream rejects a read in progress; the race also ends an unpack stuck in a
  // write or open on a hung destination disk, which no stream error reaches.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = timedOut(timeLimitMs);
      gunzip.destroy(err);
      reject(err);
    }, timeLimitMs);
    timer.unref();
  });
  deadline.catch(() => undefined);
  const unpacking = new Unpacker(destDir, limits).run(new ChunkReader(iterator));
  unpacking.catch(() => undefined); // settled below or abandoned with the deadline; never unhandled
  try {
    return await Promise.race([unpacking, deadline]);
  } catch (err) {
    if (err instanceof InstallStepError) throw err;
    if (err instanceof TarFormatError) throw corrupt(err.message, err);
    const code = (err as NodeJS.ErrnoException).code;
    if (code?.startsWith('Z_')) throw corrupt(`gzip data is damaged (${(err as Error).message})`, err);
    throw err;
  } finally {
    clearTimeout(timer);
    await iterator.return?.().catch(() => undefined);
    gunzip.destroy();
    file.destroy();
  }
}

/** How an entry kind is named in messages. */
const KIND_NAMES: Partial<Record<TarHeader['kind'], string>> = {
  directory: 'a directory',
  symlink: 'a symlink',
  hardlink: 'a hard link',
};

class Unpacker {
  private readonly result: UnpackResult = { files: 0, directories: 0, symlinks: 0, bytes: 0 };
  private readonly dirs = new Set<string>(['']);
  private readonly files = new Set<string>();
  private readonly links: string[] = [];
  private entries = 0;

  constructor(
    private readonly dest: string,
    private readonly limits: UnpackLimits,
  ) {}

  async run(reader: ChunkReader): Promise<UnpackResult> {
    let pax: Record<string, string> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const block = await reader.header();
      if (isZeroBlock(block)) {
        // A lone zero block is not an end: tar writes two, and a cut can fall between them.
        if (!isZeroBlock(await reader.header()))
          throw corrupt('a lone zero block is followed by more data; an archive ends with two zero blocks');
        break;
      }
      if (++this.entries > (this.limits.maxEntries ?? 100_000))
        throw unsafe(`archive has more than ${this.limits.maxEntries ?? 100_000} entries`);
      const header = parseTarHeader(block);
      if (
        header.kind === 'pax' ||
        header.kind === 'pax-global' ||
        header.kind === 'gnu-longname' ||
        header.kind === 'gnu-longlink'
      ) {
        if (header.size > MAX_META_RECORD)
          throw unsafe(`archive metadata record of ${header.size} bytes is larger than ${MAX_META_RECORD}`);
        this.account(header.size, 'a metadata record');
        const data = (await reader.read(header.size + paddingOf(header.size))) ?? Buffer.alloc(0);
        const body = data.subarray(0, header.size);
        if (header.kind === 'pax') pax = parsePaxRecords(body);
        else if (header.kind === 'gnu-longname') longName = cString(body);
        else if (header.kind === 'gnu-longlink') longLink = cString(body);
        continue;
      }
      const entry: TarHeader = {
        ...header,
        path: pax.path ?? longName ?? header.path,
        linkpath: pax.linkpath ?? longLink ?? header.linkpath,
        size: pax.size !== undefined ? parsePaxSize(pax.size) : header.size,
      };
      pax = {};
      longName = longLink = undefined;
      await this.extract(entry, reader);
    }
    for (const link of this.links) await this.assertLinkStaysInside(link);
    return this.result;
  }

  private account(bytes: number, what: string): void {
    this.result.bytes += bytes;
    if (this.result.bytes > this.limits.maxUnpackedBytes) {
      throw new InstallStepError(
        AgentErrorCode.ArchiveTooLarge,
        `the archive expands past the limit of ${this.limits.maxUnpackedBytes} bytes (AGENT_MAX_UNPACKED_BYTES) at ${what}; nothing was installed`,
        { step: 'unpacking' },
      );
    }
  }

  private async extract(entry: TarHeader, reader: ChunkReader): Promise<void> {
    const segments = safeSegments(entry.path);
    const rel = segments.join('/');
    switch (entry.kind) {
      case 'chardev':
      case 'blockdev':
        throw unsafe(`archive entry ${show(entry.path)} is a device file`);
      case 'fifo':
        throw unsafe(`archive entry ${show(entry.path)} is a FIFO`);
      case 'unsupported':
        throw unsafe(`archive entry ${show(entry.path)} has unsupported type ${show(entry.typeflag)}`);
      default:
        break;
    }
    if (entry.kind !== 'file') this.account(entry.size, `${KIND_NAMES[entry.kind] ?? entry.kind} ${show(entry.path)}`);
    if (rel === '') {
      if (entry.kind !== 'directory') throw unsafe(`archive entry ${show(entry.path)} has no name`);
      await reader.skip(entry.size + paddingOf(entry.size));
      return;
    }
    await this.ensureParents(segments, entry.path);
    const target = join(this.dest, ...segments);
    if (entry.kind === 'directory') {
      await reader.skip(entry.size + paddingOf(entry.size));
      if (this.dirs.has(rel)) return;
      await this.createExclusive(entry.path, () => mkdir(target, { mode: 0o755 }));
      this.dirs.add(rel);
      this.result.directories++;
      return;
    }
    if (entry.kind === 'symlink') {
      await reader.skip(entry.size + paddingOf(entry.size));
      this.assertLinkTargetLexically(rel, entry.linkpath, entry.path);
      await this.createExclusive(entry.path, () => symlink(entry.linkpath, target));
      this.links.push(rel);
      this.result.symlinks++;
      return;
    }
    if (entry.kind === 'hardlink') {
      await reader.skip(entry.size + paddingOf(entry.size));
      const source = safeSegments(entry.linkpath, `hard link target of ${show(entry.path)}:`).join('/');
      if (!this.files.has(source))
        throw unsafe(
          `archive entry ${show(entry.path)} is a hard link to ${show(entry.linkpath)}, which is not a regular file unpacked before it`,
        );
      const size = (await lstat(join(this.dest, source))).size;
      this.account(size, `hard link ${show(entry.path)}`);
      // A copy, not a link: the release never shares an inode with anything.
      await this.createExclusive(entry.path, () => copyFile(join(this.dest, source), target, constants.COPYFILE_EXCL));
      this.files.add(rel);
      this.result.files++;
      return;
    }
    const dataSize = entry.size;
    this.account(dataSize, `file ${show(entry.path)}`);
    const mode = entry.mode & 0o111 ? 0o755 : 0o644;
    // 'wx' = O_CREAT|O_EXCL: never follows or replaces an existing entry (or a symlink).
    const handle = await this.createExclusive(entry.path, () => open(target, 'wx', mode));
    try {
      for await (const piece of reader.pieces(dataSize)) await handle.write(piece);
    } finally {
      await handle.close();
    }
    await reader.skip(paddingOf(dataSize));
    this.files.add(rel);
    this.result.files++;
  }

  /** Creates the parent directories of an entry; refuses to go through a symlink or a file. */
  private async ensureParents(segments: string[], path: string): Promise<void> {
    for (let i = 1; i < segments.length; i++) {
      const rel = segments.slice(0, i).join('/');
      if (this.dirs.has(rel)) continue;
      if (this.links.includes(rel))
        throw unsafe(`archive entry ${show(path)} would be written through the symlink ${show(rel)}`);
      if (this.files.has(rel))
        throw unsafe(`archive entry ${show(path)} needs ${show(rel)} to be a directory, but it is a file`);
      await mkdir(join(this.dest, ...segments.slice(0, i)), { mode: 0o755 });
      this.dirs.add(rel);
      this.result.directories++;
    }
  }

  private async createExclusive<T>(path: string, create: () => Promise<T>): Promise<T> {
    try {
      return await create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw unsafe(`archive has ${show(path)} more than once`);
      throw err;
    }
  }

  private assertLinkTargetLexically(rel: string, linkpath: string, path: string): void {
    if (linkpath === '') throw unsafe(`archive symlink ${show(path)} has an empty target`);
    if (linkpath.includes('\0')) throw unsafe(`archive symlink ${show(path)} has a NUL byte in its target`);
    if (linkpath.startsWith('/'))
      throw unsafe(`archive symlink ${show(path)} points to the absolute path ${show(linkpath)}, outside the release`);
    const resolved = posix.normalize(posix.join(posix.dirname(rel), linkpath));
    if (resolved === '..' || resolved.startsWith('../'))
      throw unsafe(`archive symlink ${show(path)} points to ${show(linkpath)}, outside the release`);
  }

  /**
   * Follows a symlink physically through the unpacked tree (other symlinks included) and
   * refuses it when any step leaves the release, e.g. `a -> b/../x` with `b -> .`.
   */
  private async assertLinkStaysInside(rel: string): Promise<void> {
    const stack: string[] = [];
    let hops = 0;
    const walk = async (parts: string[], missing: { yes: boolean }): Promise<void> => {
      for (const part of parts) {
        if (part === '' || part === '.') continue;
        if (part === '..') {
          if (stack.length === 0)
            throw unsafe(`archive symlink ${show(rel)} leads outside the release through other symlinks`);
          stack.pop();
          continue;
        }
        stack.push(part);
        if (missing.yes) continue;
        let target: string | undefined;
        try {
          const info = await lstat(join(this.dest, ...stack));
          if (info.isSymbolicLink()) target = await readlink(join(this.dest, ...stack));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR')
            throw err;
          missing.yes = true;
          continue;
        }
        if (target === undefined) continue;
        if (++hops > 40) throw unsafe(`archive symlink ${show(rel)} is part of a symlink loop`);
        if (target.startsWith('/')) throw unsafe(`archive symlink ${show(rel)} leads to an absolute path`);
        stack.pop();
        await walk(target.split('/'), missing);
      }
    };
    await walk(rel.split('/'), { yes: false });
  }
}

const cString = (data: Buffer): string => {
  const end = data.indexOf(0);
  return data.subarray(0, end === -1 ? data.length : end).toString('utf8');
};

function parsePaxSize(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new TarFormatError(`PAX size ${show(text)} is not a number`);
  return Number(text);
}
