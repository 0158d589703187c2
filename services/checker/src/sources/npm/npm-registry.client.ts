import { DestinationRefusedError, RedirectRefusedError, type GuardedFetch } from '@lockstep/net-guard';
import { SourceCheckError, SourceErrorCode } from '../release-source';

/** Bound on the package document; documents of apps are a few MB at most. */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/** Per-request settings. */
export interface RequestOptions {
  /** The check's signal (checker timeout or shutdown). */
  signal: AbortSignal;
  /** Time this one request may take, body included. */
  timeoutMs: number;
  /** The destination-guarded fetch of the check context. */
  fetch: GuardedFetch;
}

/** Answer to a (conditional) package document request. */
export type DocumentResponse =
  | { notModified: true; etag?: string; lastModified?: string }
  | { notModified: false; body: unknown; etag?: string; lastModified?: string };

/**
 * HTTP access to an npm registry through the destination guard. Owns every failure mapping: each error
 * leaves as a SourceCheckError whose message names the URL and what to look at.
 */
export class NpmRegistryClient {
  /**
   * GETs the full package document (`accept: application/json`: the abbreviated install
   * format lacks the fields we read), conditionally when validators are given.
   */
  async getDocument(
    url: string,
    validators: { etag?: string; lastModified?: string },
    options: RequestOptions,
  ): Promise<DocumentResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;

    return this.request(url, headers, options, async (res) => {
      const etag = res.headers.get('etag') ?? undefined;
      const lastModified = res.headers.get('last-modified') ?? undefined;
      if (res.status === 304) return { notModified: true, etag, lastModified };
      const text = (await readBounded(res, MAX_DOCUMENT_BYTES, url, SourceErrorCode.BadData)).toString('utf8');
      try {
        return { notModified: false, body: JSON.parse(text) as unknown, etag, lastModified };
      } catch (err) {
        throw new SourceCheckError(
          SourceErrorCode.BadData,
          `${url} did not answer with JSON; check that the registry URL points at an npm registry`,
          { cause: err },
        );
      }
    });
  }

  /** Downloads one tarball, refusing more than `maxBytes`. */
  async getTarball(url: string, maxBytes: number, options: RequestOptions): Promise<Buffer> {
    // identity: a transparently decompressed tarball would hash differently from the published one.
    return this.request(url, { accept: 'application/octet-stream', 'accept-encoding': 'identity' }, options, (res) =>
      readBounded(res, maxBytes, url, SourceErrorCode.Misconfigured),
    );
  }

  private async request<T>(
    url: string,
    headers: Record<string, string>,
    options: RequestOptions,
    onOk: (res: Response) => Promise<T>,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = AbortSignal.any([options.signal, timeout]);
    try {
      const res = await options.fetch(url, { headers, signal });
      if (res.status !== 200 && res.status !== 304) {
        await res.body?.cancel().catch(() => undefined);
        throw statusError(url, res.status);
      }
      return await onOk(res);
    } catch (err) {
      if (err instanceof SourceCheckError) throw err;
      if (err instanceof DestinationRefusedError || err instanceof RedirectRefusedError)
        throw new SourceCheckError(SourceErrorCode.Misconfigured, `${url}: ${err.message}`, { cause: err });
      if (timeout.aborted) {
        throw new SourceCheckError(
          SourceErrorCode.Timeout,
          `${url} did not answer within ${options.timeoutMs} ms; check the registry's health or raise timeoutMs`,
          { cause: err },
        );
      }
      if (options.signal.aborted) {
        throw new SourceCheckError(
          SourceErrorCode.Timeout,
          `the check was aborted while fetching ${url} (checker timeout or shutdown)`,
          { cause: options.signal.reason ?? err },
        );
      }
      const reason = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new SourceCheckError(
        SourceErrorCode.Unreachable,
        `could not reach ${url} (${reason?.code ?? reason?.message ?? (err as Error).message}); check the registry URL and the network`,
        { cause: err },
      );
    }
  }
}

function statusError(url: string, status: number): SourceCheckError {
  if (status === 404 || status === 410) {
    return new SourceCheckError(
      SourceErrorCode.Misconfigured,
      `${url} answered ${status}: the package name may be wrong (scoped names need their @scope/), or the registry URL`,
    );
  }
  if (status === 401 || status === 403) {
    return new SourceCheckError(
      SourceErrorCode.Misconfigured,
      `${url} answered ${status}: the package is private or the registry needs credentials, which this source does not send`,
    );
  }
  if (status === 408 || status === 429 || status >= 500) {
    return new SourceCheckError(
      SourceErrorCode.Unreachable,
      `${url} answered ${status}; the registry is unavailable or rate-limiting, the next check will retry`,
    );
  }
  return new SourceCheckError(
    SourceErrorCode.BadData,
    `${url} answered an unexpected ${status}; check that the registry URL points at an npm registry`,
  );
}

/** Reads the body, failing with `tooLargeCode` as soon as it passes `maxBytes` (the Content-Length is not trusted). */
async function readBounded(
  res: Response,
  maxBytes: number,
  url: string,
  tooLargeCode: SourceErrorCode,
): Promise<Buffer> {
  const tooLarge = () =>
    new SourceCheckError(
      tooLargeCode,
      `${url} is larger than ${maxBytes} bytes` +
        (tooLargeCode === SourceErrorCode.Misconfigured ? '; raise maxTarballBytes in the source settings' : ''),
    );
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, total);
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(Buffer.from(value));
  }
}
