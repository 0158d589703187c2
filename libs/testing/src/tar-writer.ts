import { gzipSync } from 'node:zlib';

/** Kinds of tar entries the writer can produce (including the ones an agent must refuse). */
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

/** One entry of a tar archive built for tests and demo artifacts. */
export interface TarEntry {
  /** Path inside the archive, written as given (so tests can write `../x` or `/etc/x`). */
  path: string;
  type?: TarEntryType;
  /**
   * File contents; on another type, a payload a well-formed archive never has (tests of
   * unpackers that must count it against their size limit).
   */
  data?: Buffer | string;
  /** Permission bits; default 0644 for files, 0755 for directories. */
  mode?: number;
  /** Target of a symlink or hard link. */
  linkpath?: string;
}

const TYPE_FLAG: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  blockdev: '4',
  dir: '5',
  fifo: '6',
};
const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(fields: {
  name: string;
  prefix?: string;
  mode: number;
  size: number;
  type: string;
  linkname?: string;
  mtime: number;
}): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(octal(fields.mode & 0o7777, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(fields.size, 12), 124, 12, 'ascii');
  h.write(octal(fields.mtime, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(fields.type, 156, 1, 'ascii');
  if (fields.linkname) h.write(fields.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  if (fields.prefix) h.write(fields.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7), 148, 7, 'ascii');
  h[155] = 0x20;
  return h;
}

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** A PAX extended header record `"<len> key=value\n"`, where len counts the whole record. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${len}${body}`) !== len) len = Buffer.byteLength(`${len}${body}`);
  return `${len}${body}`;
}

/** How writeTar builds the archive. */
export interface TarOptions {
  /** Modification time of every entry (seconds); default now. */
  mtime?: number;
  /** Ends the archive with its two zero blocks; default true (false builds a truncated one). */
  endBlocks?: boolean;
}

/**
 * Builds an uncompressed POSIX (ustar) tar archive. Paths or link targets longer than the
 * header fields get a PAX extended header. No validation: tests use it to build hostile archives.
 */
export function writeTar(entries: TarEntry[], options: TarOptions = {}): Buffer {
  const mtime = options.mtime ?? Math.floor(Date.now() / 1000);
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const data = Buffer.from(entry.data ?? '');
    const mode = entry.mode ?? (type === 'dir' ? 0o755 : 0o644);
    const name = type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
    const long = Buffer.byteLength(name) > 100 || Buffer.byteLength(entry.linkpath ?? '') > 100;
    if (long) {
      const pax = Buffer.from(paxRecord('path', name) + (entry.linkpath ? paxRecord('linkpath', entry.linkpath) : ''));
      parts.push(
        header({ name: 'PaxHeader', mode: 0o644, size: pax.length, type: 'x', mtime }),
        pax,
        padding(pax.length),
      );
    }
    parts.push(
      header({
        name: long ? name.slice(0, 99) : name,
        mode,
        size: data.length,
        type: TYPE_FLAG[type],
        linkname: long ? undefined : entry.linkpath,
        mtime,
      }),
    );
    if (data.length) parts.push(data, padding(data.length));
  }
  if (options.endBlocks !== false) parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** writeTar, gzip-compressed (a `.tar.gz`). */
export function writeTarGz(entries: TarEntry[], options: TarOptions = {}): Buffer {
  return gzipSync(writeTar(entries, options));
}
