/*
 * Just enough of the tar format (POSIX ustar, PAX extended headers, GNU long names) to read
 * release artifacts. Parsing only: nothing here touches the file system.
 */

/** Size of a tar block. */
export const TAR_BLOCK = 512;

/** Entry kinds; anything the agent will not create maps to `unsupported`. */
export type TarEntryKind =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'hardlink'
  | 'chardev'
  | 'blockdev'
  | 'fifo'
  | 'pax'
  | 'pax-global'
  | 'gnu-longname'
  | 'gnu-longlink'
  | 'unsupported';

/** One parsed header block. */
export interface TarHeader {
  /** Path as stored (prefix + name), before PAX/GNU overrides. */
  path: string;
  kind: TarEntryKind;
  /** The raw type flag, for messages. */
  typeflag: string;
  mode: number;
  size: number;
  linkpath: string;
}

/** A header that cannot be a tar header (checksum, numbers). */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const KINDS: Record<string, TarEntryKind> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'chardev',
  '4': 'blockdev',
  '5': 'directory',
  '6': 'fifo',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-longname',
  K: 'gnu-longlink',
};

const cString = (block: Buffer, offset: number, length: number): string => {
  const slice = block.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? length : end).toString('utf8');
};

function parseNumber(block: Buffer, offset: number, length: number, field: string): number {
  const raw = block.subarray(offset, offset + length);
  if (raw[0] & 0x80) {
    // GNU base-256: big-endian, first byte's top bit is the marker.
    if (raw[0] === 0xff) throw new TarFormatError(`negative ${field} in a tar header`);
    let value = raw[0] & 0x7f;
    for (const byte of raw.subarray(1)) {
      value = value * 256 + byte;
      if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} in a tar header is too large`);
    }
    return value;
  }
  const text = raw
    .toString('ascii')
    .replace(/[\0 ]+$/g, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`${field} "${text}" in a tar header is not an octal number`);
  const value = parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} in a tar header is too large`);
  return value;
}

/** True when a block is all zeros (end-of-archive marker). */
export const isZeroBlock = (block: Buffer): boolean => block.every((b) => b === 0);

/** Parses one 512-byte header block, checking its checksum. */
export function parseTarHeader(block: Buffer): TarHeader {
  if (block.length !== TAR_BLOCK) throw new TarFormatError('truncated tar header');
  const stored = parseNumber(block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  if (sum !== stored)
    throw new TarFormatError(
      `tar header checksum mismatch (stored ${stored}, computed ${sum}); the archive is corrupt or not a tar`,
    );
  const typeflag = String.fromCharCode(block[156]);
  const name = cString(block, 0, 100);
  const magic = block.subarray(257, 262).toString('ascii');
  const prefix = magic === 'ustar' ? cString(block, 345, 155) : '';
  return {
    path: prefix ? `${prefix}/${name}` : name,
    kind: KINDS[typeflag] ?? 'unsupported',
    typeflag,
    mode: parseNumber(block, 100, 8, 'mode'),
    size: parseNumber(block, 124, 12, 'size'),
    linkpath: cString(block, 157, 100),
  };
}

/** Parses PAX extended header records (`"<len> key=value\n"`). */
export function parsePaxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break;
    const space = data.indexOf(0x20, at);
    if (space === -1) throw new TarFormatError('malformed PAX record');
    const len = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isSafeInteger(len) || len <= space - at + 1 || at + len > data.length)
      throw new TarFormatError('malformed PAX record length');
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    if (data[at + len - 1] !== 0x0a) throw new TarFormatError('PAX record does not end with a newline');
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError('PAX record without a key');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}
