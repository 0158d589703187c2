import { ObjectNotFoundError, StorageError, type ObjectStore } from '@lockstep/storage';
import type { Readable } from 'node:stream';
import { BaseFetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error';

type ByteStream = ReadableStream<Uint8Array<ArrayBuffer>>;

/** Why one download failed, independent of transport. */
export const FetchFailureKind = {
  Unreachable: 'unreachable',
  Timeout: 'timeout',
  NotFound: 'not-found',
  HttpStatus: 'http-status',
} as const;
export type FetchFailureKind = (typeof FetchFailureKind)[keyof typeof FetchFailureKind];

/**
 * A failed download. Extends tuf-js's DownloadHTTPError so the Updater treats a 404/403 for
 * the next `N.root.json` as "no newer root" (statusCode 0 = no HTTP answer at all).
 */
export class TufFetchError extends DownloadHTTPError {
  override name = 'TufFetchError';
  constructor(
    readonly kind: FetchFailureKind,
    readonly url: string,
    message: string,
    statusCode = 0,
    cause?: unknown,
  ) {
    super(message, statusCode);
    this.cause = cause;
  }
}

const isAbort = (err: unknown): boolean => ['AbortError', 'TimeoutError'].includes((err as Error)?.name);

/*
 * tuf-js fetchers shared by every Lockstep TUF reader (the checker's tuf source, the node
 * agent's artifact verifier): `s3://bucket/key` through an ObjectStore, http(s) through fetch.
 */

/**
 * Base of Lockstep's tuf-js fetchers: remembers the last failure (tuf-js wraps some errors
 * into a RuntimeError that keeps only the message), and turns stream errors into TufFetchError.
 */
export abstract class RecordingFetcher extends BaseFetcher {
  /** The last download that failed, if any. */
  lastFailure?: TufFetchError;
  /** True when timestamp.json was answered 304 Not Modified and served from the trusted copy. */
  notModified = false;
  /** ETag of timestamp.json as last received (http mode). */
  timestampEtag?: string;

  /** Streams handed to tuf-js and not yet read to their end, by URL. */
  private readonly open_ = new Map<string, ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>>();

  constructor(
    protected readonly timeoutMs: number,
    protected readonly outer: AbortSignal,
  ) {
    super();
  }

  /**
   * tuf-js stops reading a body past its size limit (or on a bad chunk) but leaves the stream
   * open; cancel it then, so an endless body costs the limit, not a connection held until the timeout.
   */
  override async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    try {
      return await super.downloadFile(url, maxLength, handler);
    } finally {
      const reader = this.open_.get(url);
      this.open_.delete(url);
      await reader?.cancel().catch(() => undefined);
    }
  }

  /** Opens url as a byte stream; throws TufFetchError. */
  protected abstract open(url: string, signal: AbortSignal): Promise<ByteStream>;

  override async fetch(url: string): Promise<ByteStream> {
    const signal = AbortSignal.any([this.outer, AbortSignal.timeout(this.timeoutMs)]);
    try {
      return this.guard(url, await this.open(url, signal));
    } catch (err) {
      throw this.record(url, err);
    }
  }

  protected record(url: string, err: unknown): TufFetchError {
    const failure =
      err instanceof TufFetchError
        ? err
        : isAbort(err)
          ? new TufFetchError(
              FetchFailureKind.Timeout,
              url,
              `no complete answer from ${url} within ${this.timeoutMs} ms`,
              0,
              err,
            )
          : new TufFetchError(FetchFailureKind.Unreachable, url, `cannot fetch ${url}: ${describe(err)}`, 0, err);
    this.lastFailure = failure;
    return failure;
  }

  private guard(url: string, stream: ByteStream): ByteStream {
    const reader = stream.getReader();
    this.open_.set(url, reader);
    return new ReadableStream({
      pull: async (controller) => {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          controller.error(this.record(url, err));
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }
}

const describe = (err: unknown): string => {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return [e?.message ?? String(err), e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ');
};

const bytesStream = (bytes: Buffer): ByteStream => new Blob([new Uint8Array(bytes)]).stream() as ByteStream;

/** Reads `s3://<bucket>/<key>` URLs from the deployment's ObjectStore. */
export class ObjectStoreFetcher extends RecordingFetcher {
  constructor(
    private readonly store: ObjectStore,
    timeoutMs: number,
    outer: AbortSignal,
  ) {
    super(timeoutMs, outer);
  }

  protected async open(url: string, signal: AbortSignal): Promise<ByteStream> {
    const key = decodeURIComponent(new URL(url).pathname.slice(1));
    let nodeStream: Readable;
    const opening = this.store.getStream(key);
    try {
      nodeStream = await abortable(opening, signal);
    } catch (err) {
      if (err instanceof ObjectNotFoundError)
        throw new TufFetchError(FetchFailureKind.NotFound, url, `${url} does not exist`, 404, err);
      if (err instanceof StorageError)
        throw new TufFetchError(FetchFailureKind.Unreachable, url, `cannot read ${url}: ${err.message}`, 0, err);
      // Timed out before the store answered: close the stream should it still arrive.
      opening.then(
        (late) => late.destroy(),
        () => undefined,
      );
      throw err;
    }
    const onAbort = (): void => {
      nodeStream.destroy(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    nodeStream.once('close', () => signal.removeEventListener('abort', onAbort));
    const chunks = (async function* () {
      for await (const chunk of nodeStream) yield new Uint8Array(chunk as Buffer);
    })();
    return new ReadableStream({
      pull: async (controller) => {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: () => void nodeStream.destroy(),
    });
  }
}

/** GET with headers and a signal, answering a WHATWG Response (the destination-guarded fetch of @lockstep/net-guard fits). */
export type HttpGet = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<Response>;

/**
 * Reads http(s) URLs through `get` (the destination guard in the checker and agents). Sends If-None-Match for timestamp.json when the last
 * check left an ETag; a 304 is answered with the already trusted timestamp, which tuf-js then
 * re-checks (signature, expiry) like any other copy.
 */
export class HttpFetcher extends RecordingFetcher {
  constructor(
    timeoutMs: number,
    outer: AbortSignal,
    private readonly conditional: { timestampUrl: string; etag?: string; trustedTimestamp?: string },
    private readonly userAgent = 'lockstep-checker',
    private readonly get: HttpGet = (url, init) => fetch(url, { ...init, redirect: 'error' }),
  ) {
    super(timeoutMs, outer);
  }

  protected async open(url: string, signal: AbortSignal): Promise<ByteStream> {
    const isTimestamp = url === this.conditional.timestampUrl;
    const { etag, trustedTimestamp } = this.conditional;
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (isTimestamp && etag && trustedTimestamp) headers['if-none-match'] = etag;
    const response = await this.get(url, { headers, signal });
    if (response.status === 304 && isTimestamp && trustedTimestamp) {
      this.notModified = true;
      this.timestampEtag = etag;
      return bytesStream(Buffer.from(trustedTimestamp));
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      const kind =
        response.status === 404
          ? FetchFailureKind.NotFound
          : response.status >= 500
            ? FetchFailureKind.Unreachable
            : FetchFailureKind.HttpStatus;
      throw new TufFetchError(kind, url, `${url} answered HTTP ${response.status}`, response.status);
    }
    if (isTimestamp) this.timestampEtag = response.headers.get('etag') ?? undefined;
    return response.body as ByteStream;
  }
}

async function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw abortReason(signal);
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Why `signal` aborted, as an Error (AbortSignal.reason may be any value). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason), { cause: reason });
}
