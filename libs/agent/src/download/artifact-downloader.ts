import type { GuardedFetch } from '@lockstep/net-guard';
import type { ObjectStore } from '@lockstep/storage';
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { AgentErrorCode, InstallStepError } from '../errors';

/** Returns the object store for a bucket (one S3 endpoint, any bucket). */
export type ObjectStoreFor = (bucket: string) => ObjectStore;

/** What a download produced. */
export interface DownloadedArtifact {
  path: string;
  sha256: string;
  length: number;
}

/** Splits `s3://bucket/key` into its parts; undefined for other URIs. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  if (!uri.startsWith('s3://')) return undefined;
  const url = new URL(uri);
  const key = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !key) return undefined;
  return { bucket: url.hostname, key };
}

const failed = (message: string, cause?: unknown) =>
  new InstallStepError(AgentErrorCode.DownloadFailed, message, { step: 'downloading', cause });

/**
 * Streams an artifact (s3://bucket/key through the object store, or http(s) through the
 * destination guard) into a file, hashing it on the way and stopping as soon as it grows past
 * `maxBytes`.
 */
export class ArtifactDownloader {
  constructor(
    private readonly storeFor: ObjectStoreFor,
    private readonly timeoutMs: number,
    /** Every http(s) request goes through the destination guard (AGENT_ALLOWED_DESTINATIONS). */
    private readonly fetch: GuardedFetch,
  ) {}

  async download(uri: string, path: string, maxBytes: number, outer?: AbortSignal): Promise<DownloadedArtifact> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(outer ? [outer] : [])]);
    let body: Readable;
    try {
      body = await this.open(uri, signal);
    } catch (err) {
      if (err instanceof InstallStepError) throw err;
      throw failed(`cannot download ${uri}: ${(err as Error).message}`, err);
    }
    const hash = createHash('sha256');
    let length = 0;
    await rm(path, { force: true });
    const file = await open(path, 'wx', 0o600);
    const onAbort = () =>
      body.destroy(new Error(`no complete download within ${this.timeoutMs} ms (AGENT_DOWNLOAD_TIMEOUT)`));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        length += buf.length;
        if (length > maxBytes)
          throw failed(`${uri} is longer than the ${maxBytes} bytes expected; stopped downloading`);
        hash.update(buf);
        await file.write(buf);
      }
    } catch (err) {
      body.destroy();
      await file.close().catch(() => undefined);
      await rm(path, { force: true });
      if (err instanceof InstallStepError) throw err;
      throw failed(`download of ${uri} broke off: ${(err as Error).message}`, err);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    await file.close();
    return { path, sha256: hash.digest('hex'), length };
  }

  /** GETs a JSON document (an npm package document), refusing more than `maxBytes`; throws on any failure. */
  readonly getJson = async (url: string, maxBytes: number, outer: AbortSignal): Promise<unknown> => {
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), outer]);
    const res = await this.fetch(url, {
      signal,
      headers: { accept: 'application/json', 'user-agent': 'lockstep-agent' },
    });
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`${url} answered HTTP ${res.status}`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of Readable.fromWeb(res.body as ReadableStream<Uint8Array>)) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) throw new Error(`${url} is larger than ${maxBytes} bytes`);
      chunks.push(chunk as Buffer);
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  };

  private async open(uri: string, signal: AbortSignal): Promise<Readable> {
    const s3 = parseS3Uri(uri);
    if (s3) return this.storeFor(s3.bucket).getStream(s3.key);
    if (/^https?:\/\//.test(uri)) {
      const res = await this.fetch(uri, { signal, headers: { 'user-agent': 'lockstep-agent' } });
      if (!res.ok || !res.body) {
        await res.body?.cancel().catch(() => undefined);
        throw failed(`${uri} answered HTTP ${res.status}`);
      }
      return Readable.fromWeb(res.body as ReadableStream<Uint8Array>);
    }
    throw failed(`artifact URI ${uri} is neither s3://bucket/key nor http(s)://`);
  }
}
