import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { MAX_OBJECT_BYTES } from '@lockstep/storage';
import type { BackupBucket } from './backup-bucket';
import type { Compressor } from './zstd.process';
import type { ChunkLocation } from './manifest';

/** The part of BackupBucket the writer needs. */
export type PackSink = Pick<BackupBucket, 'cipher' | 'putPack'>;

/** Figures the writer accumulates while packing. */
export interface PackWriterStats {
  bytesUploaded: number;
  packs: number;
  newChunks: number;
  reusedChunks: number;
}

/** How much work the writer keeps in flight; memory stays under about maxQueuedBytes + (maxUploads + 1) packs. */
export interface PackWriterLimits {
  /**
   * Chunks compressed at once (default: the number of CPUs, at least 2, but one less than
   * libuv's thread pool, which file reads share with the native compressor).
   */
  concurrency: number;
  /** Plaintext bytes accepted but not yet in a pack before add() waits (default 16 MiB). */
  maxQueuedBytes: number;
  /** Chunks accepted but not yet in a pack before add() waits (default 256: many small files). */
  maxQueuedChunks: number;
  /**
   * Packs uploading while the next one fills (default 2: with one, filling stalled whenever an
   * upload took longer than the next pack, which on a busy two-core host with the S3 server
   * alongside was often).
   */
  maxUploads: number;
  /**
   * Chunks in one pack (default 50,000): with many tiny files a pack's index would otherwise
   * outgrow the 16 MiB object limit before the pack reaches its byte limit.
   */
  maxPackChunks: number;
}

const threadPool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
const DEFAULT_LIMITS: PackWriterLimits = {
  concurrency: Math.max(1, Math.min(Math.max(2, availableParallelism()), threadPool - 1)),
  maxQueuedBytes: 16 * 1024 * 1024,
  maxQueuedChunks: 256,
  maxUploads: 2,
  maxPackChunks: 50_000,
};

/** A new chunk on its way into a pack. */
interface Job {
  id: string;
  plain: Buffer | undefined;
  size: number;
  /** Settles with the stored blob (in pieces) once compressed and sealed; set when the job starts. */
  blob: Promise<Buffer[]> | undefined;
  started: () => void;
}

/** One pack being filled: blobs are copied into `bytes` as they come, so a full pack needs no concatenation. */
interface OpenPack {
  bytes: Buffer | undefined;
  index: Map<string, Omit<ChunkLocation, 'pack'>>;
  size: number;
  hash: Hash;
}

const newPack = (): OpenPack => ({ bytes: undefined, index: new Map(), size: 0, hash: createHash('sha256') });

/**
 * Turns chunks into packs: each new chunk is compressed (zstd frame), encrypted when the
 * repository has a key (chunk id as associated data), and appended to the open pack in the
 * order the chunks were added; a pack is uploaded under `packs/<sha256>` before it would
 * pass 16 MiB, followed by its index. Chunks already in the repository's index are only
 * referenced.
 *
 * The work is pipelined: add() returns the chunk id as soon as the chunk is hashed and
 * queued, while chunks compress on the thread pool and full packs upload in the background
 * (see PackWriterLimits). A failure of any of that is thrown by the next add() or by
 * flush(), which must be awaited before the chunks' locations are used.
 */
export class PackWriter {
  readonly stats: PackWriterStats = { bytesUploaded: 0, packs: 0, newChunks: 0, reusedChunks: 0 };
  /** Chunks being compressed or in an open or uploading pack; they move to `known` on upload. */
  private readonly claimed = new Set<string>();
  private readonly limits: PackWriterLimits;
  /** Accepted chunks not yet appended, in add order. */
  private readonly queue: Job[] = [];
  private queuedBytes = 0;
  private compressing = 0;
  private nextToStart = 0;
  private appending: Promise<void> | undefined;
  private pack: OpenPack = newPack();
  private readonly uploads = new Set<Promise<void>>();
  /** Pack buffers whose upload finished, reused for the next packs (keeps the garbage collector out of the way). */
  private readonly spare: Buffer[] = [];
  private failure: { error: unknown } | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly repository: PackSink,
    private readonly compressor: Compressor,
    /** Known chunks; the writer adds the ones it stores. */
    readonly known: Map<string, ChunkLocation>,
    private readonly maxPackBytes = MAX_OBJECT_BYTES,
    limits: Partial<PackWriterLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * Accepts one chunk unless it is already stored or queued; returns its id once hashed and
   * queued (waiting first while the queue is full). Calls may overlap; chunks are packed in
   * call order.
   */
  async add(plain: Buffer): Promise<string> {
    this.throwIfFailed();
    const id = createHash('sha256').update(plain).digest('hex');
    if (this.known.has(id) || this.claimed.has(id)) {
      this.stats.reusedChunks++;
      return id;
    }
    this.claimed.add(id);
    this.queue.push({ id, plain, size: plain.length, blob: undefined, started: () => undefined });
    this.queuedBytes += plain.length;
    this.startJobs();
    this.appending ??= this.appendQueued();
    while (
      !this.failure &&
      (this.queuedBytes > this.limits.maxQueuedBytes || this.queue.length > this.limits.maxQueuedChunks)
    )
      await this.progress();
    this.throwIfFailed();
    return id;
  }

  /**
   * Packs and uploads everything accepted so far, then waits for every upload. Call once
   * every add has settled, at the end of a backup; throws the first failure of any chunk or
   * upload (after letting running uploads end).
   */
  async flush(): Promise<void> {
    while (this.appending) await this.appending;
    if (!this.failure) this.startUpload();
    else await Promise.allSettled(this.queue.flatMap((job) => (job.blob ? [job.blob] : []))); // let started compressions end
    while (this.uploads.size > 0) await Promise.allSettled([...this.uploads]);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    this.wake();
  }

  /** Resolves at the next change of the queue or the uploads (or a failure). */
  private progress(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Starts compressing queued chunks, in order, up to the concurrency limit. */
  private startJobs(): void {
    while (!this.failure && this.compressing < this.limits.concurrency && this.nextToStart < this.queue.length) {
      const job = this.queue[this.nextToStart++];
      const plain = job.plain!;
      job.plain = undefined;
      this.compressing++;
      job.blob = this.encode(job.id, plain).finally(() => {
        this.compressing--;
        this.startJobs();
      });
      job.blob.catch(() => undefined); // read by appendQueued
      job.started();
    }
  }

  private async encode(id: string, plain: Buffer): Promise<Buffer[]> {
    const compressed = await this.compressor.compress(plain);
    return this.repository.cipher ? this.repository.cipher.sealParts(compressed, id) : [compressed];
  }

  /** Appends queued chunks to the open pack in add order, starting an upload whenever it is full. */
  private async appendQueued(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failure) {
        const job = this.queue[0];
        if (!job.blob) await new Promise<void>((resolve) => (job.started = resolve));
        const parts = await job.blob!;
        const length = parts.reduce((n, part) => n + part.length, 0);
        if (
          (this.pack.size + length > this.maxPackBytes || this.pack.index.size >= this.limits.maxPackChunks) &&
          this.pack.size > 0
        ) {
          this.startUpload();
          while (this.uploads.size >= this.limits.maxUploads && !this.failure) await Promise.race(this.uploads);
          if (this.failure) break;
        }
        const { pack } = this;
        pack.bytes ??= this.packBuffer(length);
        pack.index.set(job.id, { offset: pack.size, length, size: job.size });
        for (const part of parts) {
          pack.size += part.copy(pack.bytes, pack.size);
          pack.hash.update(part);
        }
        this.stats.newChunks++;
        this.queue.shift();
        this.nextToStart--;
        this.queuedBytes -= job.size;
        this.wake();
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.appending = undefined;
    }
  }

  /** A buffer for a new pack: a spare one, or a new one (larger than a pack only for a blob that is). */
  private packBuffer(firstBlob: number): Buffer {
    const size = Math.max(this.maxPackBytes, firstBlob);
    const spare = this.spare.pop();
    return spare && spare.length >= size ? spare : Buffer.allocUnsafe(size);
  }

  /** Uploads the open pack, if it holds anything, in the background; a new pack opens at once. */
  private startUpload(): void {
    const pack = this.pack;
    if (pack.size === 0) return;
    this.pack = newPack();
    const upload = this.upload(pack).then(
      () => undefined,
      (err: unknown) => this.fail(err),
    );
    this.uploads.add(upload);
    void upload.finally(() => {
      this.uploads.delete(upload);
      this.wake();
    });
  }

  /** putPack gets a view of the pack's buffer; the buffer is reused once putPack has resolved. */
  private async upload(pack: OpenPack): Promise<void> {
    const name = pack.hash.digest('hex');
    const uploaded = await this.repository.putPack(
      name,
      pack.bytes!.subarray(0, pack.size),
      Object.fromEntries(pack.index),
    );
    if (this.spare.length < this.limits.maxUploads) this.spare.push(pack.bytes!);
    this.stats.bytesUploaded += uploaded;
    this.stats.packs++;
    for (const [id, loc] of pack.index) {
      this.known.set(id, { pack: name, ...loc });
      this.claimed.delete(id);
    }
  }
}
