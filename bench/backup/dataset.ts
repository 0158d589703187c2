/**
 * The bench:backup file set: a deterministic mix shaped like an application's data
 * directory, built from a seed and cached between runs (a `.complete` file written last
 * marks a finished set; anything else in the directory is rebuilt).
 *
 * Mix (about 180 MB, ~40% of it incompressible):
 * - `logs/`: a few large and several rotated application logs (template lines with ids,
 *   durations, paths), about 42 MB;
 * - `data/*.json`: 50 JSON exports of records, about 26 MB;
 * - `src/`: 3000 small text files (code-like and config-like, 1–16 KiB), about 25 MB;
 * - `media/`: 2 large and 10 medium random files (images, archives), 50 MB;
 * - `thumbs/`: 1000 small random files (4–40 KiB), about 22 MB;
 * - `db/`: 2 files of 8 KiB database-like pages (records, random fields, free space), 16 MB.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a finished data set holds. */
export interface DatasetInfo {
  root: string;
  files: number;
  bytes: number;
}

/** Bump when the generator changes, so cached sets of the old shape are not reused. */
const GENERATOR_VERSION = 1;
const MiB = 1024 * 1024;

/** sfc32: small, fast and deterministic; only shapes the data, never secures anything. */
class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const h = createHash('sha256').update(seed).digest();
    [this.a, this.b, this.c, this.d] = [h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)];
    for (let i = 0; i < 16; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.next() % xs.length];
  }

  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.next().toString(16).padStart(8, '0');
    return s.slice(0, n);
  }

  /** Incompressible bytes: an AES-CTR key stream keyed from this generator. */
  bytes(n: number): Buffer {
    const key = Buffer.alloc(32);
    for (let i = 0; i < 32; i += 4) key.writeUInt32LE(this.next(), i);
    return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
  }
}

const WORDS =
  'account order invoice payment session token user cache queue worker job retry timeout request response upstream shard replica index table query commit rollback batch export import render template config feature flag release node cluster volume snapshot'.split(
    ' ',
  );
const LEVELS = ['INFO', 'INFO', 'INFO', 'INFO', 'DEBUG', 'DEBUG', 'WARN', 'ERROR'];
const PATHS = [
  '/api/v1/orders',
  '/api/v1/users',
  '/api/v1/invoices',
  '/healthz',
  '/api/v2/search',
  '/static/app.js',
  '/api/v1/sessions',
  '/metrics',
];
const SERVICES = ['api', 'worker', 'scheduler', 'billing', 'search'];

function logLine(r: Prng, t: number): string {
  const ts = new Date(1714521600000 + t).toISOString();
  const lvl = r.pick(LEVELS);
  const svc = r.pick(SERVICES);
  switch (r.next() % 5) {
    case 0:
      return `${ts} ${lvl} [${svc}] request_id=${r.hex(16)} method=${r.pick(['GET', 'GET', 'POST', 'PUT'])} path=${r.pick(PATHS)}/${r.int(1, 99999)} status=${r.pick([200, 200, 200, 201, 204, 304, 404, 500])} duration_ms=${r.int(1, 2500)} bytes=${r.int(80, 90000)}\n`;
    case 1:
      return `${ts} ${lvl} [${svc}] job ${r.pick(WORDS)}-${r.pick(WORDS)} id=${r.hex(12)} attempt=${r.int(1, 5)} finished in ${r.int(3, 60000)} ms\n`;
    case 2:
      return `${ts} ${lvl} [${svc}] user=${r.int(1, 200000)} ${r.pick(WORDS)} ${r.pick(WORDS)} ${r.pick(['created', 'updated', 'deleted', 'read'])} from ${r.int(10, 250)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}\n`;
    case 3:
      return `${ts} ${lvl} [${svc}] db query table=${r.pick(WORDS)}s rows=${r.int(0, 5000)} took=${r.int(0, 900)}ms plan=${r.pick(['index', 'seq', 'bitmap'])}\n`;
    default:
      return `${ts} ${lvl} [${svc}] ${r.pick(WORDS)} ${r.pick(WORDS)} ${r.pick(WORDS)}: ${r.pick(['ok', 'retrying', 'slow', 'timed out', 'skipped'])} (${r.hex(8)})\n`;
  }
}

function logFile(r: Prng, bytes: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  let t = r.int(0, 1e9);
  while (size < bytes) {
    t += r.int(0, 400);
    const line = logLine(r, t);
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join(''));
}

function jsonFile(r: Prng, bytes: number): Buffer {
  const records: unknown[] = [];
  let size = 0;
  while (size < bytes) {
    const rec = {
      id: r.int(1, 1e9),
      uuid: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`,
      name: `${r.pick(WORDS)} ${r.pick(WORDS)}`,
      email: `${r.pick(WORDS)}.${r.int(1, 9999)}@example.com`,
      created_at: new Date(1600000000000 + r.int(0, 2e9) * 50).toISOString(),
      status: r.pick(['active', 'pending', 'closed', 'active']),
      amount: r.int(0, 1e7) / 100,
      tags: Array.from({ length: r.int(0, 4) }, () => r.pick(WORDS)),
      address: { city: r.pick(['Berlin', 'Lyon', 'Porto', 'Turin', 'Ghent']), zip: String(r.int(10000, 99999)) },
    };
    const s = JSON.stringify(rec, null, 2);
    records.push(rec);
    size += s.length + 2;
  }
  return Buffer.from(JSON.stringify(records, null, 2));
}

function sourceFile(r: Prng, bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const a = r.pick(WORDS);
    const b = r.pick(WORDS);
    const line = r.pick([
      `import { ${a}${b[0].toUpperCase()}${b.slice(1)} } from './${a}-${b}';`,
      `  const ${a} = await this.${b}Service.find${a[0].toUpperCase()}${a.slice(1)}(${r.int(0, 100)});`,
      `  if (!${a}) throw new Error('${a} ${b} not found');`,
      `  // ${r.pick(WORDS)} the ${a} before the ${b} is ${r.pick(['sent', 'stored', 'closed'])}`,
      `${a}_${b}_${r.pick(['timeout', 'limit', 'enabled'])}: ${r.int(0, 5000)}`,
      `  return { ${a}, ${b}: ${b}.map((x) => x.${r.pick(WORDS)}) };`,
      '}',
      '',
    ]);
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n'));
}

/** 8 KiB pages: a header, a run of fixed-size records with random fields, then free (zero) space. */
function dbFile(r: Prng, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  const noise = r.bytes(bytes / 4);
  let n = 0;
  for (let page = 0; page < bytes; page += 8192) {
    out.writeUInt32LE(page / 8192, page);
    const used = r.int(1024, 8000);
    for (let off = page + 16; off + 64 <= page + used; off += 64) {
      out.writeUInt32LE(r.int(1, 1e6), off);
      out.writeUInt32LE(r.next(), off + 4);
      n = (n + 16) % (noise.length - 16);
      noise.copy(out, off + 8, n, n + 16);
      out.write(`${r.pick(WORDS)}:${r.pick(WORDS)}`.padEnd(40, ' '), off + 24, 'latin1');
    }
  }
  return out;
}

type Planned = { path: string; make: (r: Prng) => Buffer };

function plan(r: Prng): Planned[] {
  const files: Planned[] = [];
  const add = (path: string, make: (r: Prng) => Buffer) => files.push({ path, make });
  add('logs/app.log', (g) => logFile(g, 14 * MiB));
  add('logs/worker.log', (g) => logFile(g, 8 * MiB));
  for (let i = 1; i <= 10; i++) add(`logs/app.log.${i}`, (g) => logFile(g, 2 * MiB));
  for (let i = 0; i < 50; i++) {
    const size = r.int(256, 800) * 1024;
    add(`data/export-${String(i).padStart(3, '0')}.json`, (g) => jsonFile(g, size));
  }
  for (let i = 0; i < 3000; i++) {
    const [ext, size] = [r.pick(['ts', 'ts', 'ts', 'yaml', 'md']), r.int(1024, 16 * 1024)];
    add(`src/module-${String(i % 60).padStart(2, '0')}/${r.pick(WORDS)}-${i}.${ext}`, (g) => sourceFile(g, size));
  }
  add('media/backup-archive.tar.zst', (g) => g.bytes(15 * MiB));
  add('media/video.mp4', (g) => g.bytes(15 * MiB));
  for (let i = 0; i < 10; i++) add(`media/photo-${i}.jpg`, (g) => g.bytes(2 * MiB));
  for (let i = 0; i < 1000; i++) {
    const size = r.int(4, 40) * 1024;
    add(`thumbs/${String(i % 20).padStart(2, '0')}/thumb-${i}.webp`, (g) => g.bytes(size));
  }
  add('db/main.db', (g) => dbFile(g, 12 * MiB));
  add('db/sessions.db', (g) => dbFile(g, 4 * MiB));
  return files;
}

/** Builds the data set under `<parent>/lockstep-bench-backup-v<n>-<seed>` unless a finished one is there. */
export async function ensureDataset(parent: string, seed: string): Promise<DatasetInfo & { built: boolean }> {
  const root = join(parent, `lockstep-bench-backup-v${GENERATOR_VERSION}-${seed.replace(/[^A-Za-z0-9_-]/g, '_')}`);
  const marker = join(root, '..', `${root.split('/').pop()}.complete`);
  if (existsSync(marker) && existsSync(root))
    return { ...(JSON.parse(readFileSync(marker, 'utf8')) as DatasetInfo), built: false };
  await rm(root, { recursive: true, force: true });
  const r = new Prng(seed);
  let bytes = 0;
  const files = plan(r);
  for (const f of files) {
    // each file gets its own generator, so the set does not depend on generation order
    const data = f.make(new Prng(`${seed}/${f.path}`));
    await mkdir(join(root, f.path, '..'), { recursive: true });
    await writeFile(join(root, f.path), data);
    bytes += data.length;
  }
  const info: DatasetInfo = { root, files: files.length, bytes };
  await writeFile(marker, JSON.stringify(info));
  return { ...info, built: true };
}
