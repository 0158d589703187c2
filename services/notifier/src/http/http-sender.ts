import { request as httpRequest, STATUS_CODES, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import {
  checkDestination,
  checkedLiteral,
  defaultAgentPool,
  DestinationRefusedError,
  type CheckedDestination,
} from '@lockstep/net-guard';
import { AttemptOutcome, type AttemptResult, type DeliverOptions, type DeliveryRequest } from './delivery.types';
import { parseRetryAfter, parseRetryAfterBody } from './retry-after';

const DEFAULT_MAX_RESPONSE_BYTES = 1024;
// Bodies are drained (so the keep-alive socket can be reused) up to this much, then the socket is dropped.
const MAX_DRAIN_BYTES = 256 * 1024;

/**
 * Sends one attempt and classifies the answer. Never throws: every failure becomes an
 * AttemptResult. The destination is checked by the SSRF guard first (DNS once, skipped for IP
 * literals) and the connection is pinned to the checked address through a keep-alive agent.
 * Redirects are never followed.
 */
export function deliver(request: DeliveryRequest, options: DeliverOptions): Promise<AttemptResult> {
  const started = performance.now();
  // Hot path: an IP literal already accepted under this allow-list needs no await at all.
  const known = checkedLiteral(request.url, options.allowList);
  if (known) return new Promise((resolve) => sendSafely(request, known, options, started, resolve));
  return checkThenSend(request, options, started);
}

async function checkThenSend(
  request: DeliveryRequest,
  options: DeliverOptions,
  started: number,
): Promise<AttemptResult> {
  let dest: CheckedDestination;
  try {
    dest = await checkDestination(request.url, options.allowList, options.resolve);
  } catch (err) {
    const refused = err instanceof DestinationRefusedError;
    return {
      outcome: refused ? AttemptOutcome.Refused : AttemptOutcome.Retry,
      durationMs: Math.round(performance.now() - started),
      error: (err as Error).message,
      address: refused ? err.details.address : undefined,
    };
  }
  return new Promise((resolve) => sendSafely(request, dest, options, started, resolve));
}

/** send(), with anything unexpected it throws turned into a result, so deliver never rejects. */
function sendSafely(
  request: DeliveryRequest,
  dest: CheckedDestination,
  options: DeliverOptions,
  started: number,
  done: (r: AttemptResult) => void,
): void {
  try {
    send(request, dest, options, started, done);
  } catch (err) {
    done({
      outcome: AttemptOutcome.FailedPermanently,
      durationMs: Math.round(performance.now() - started),
      address: dest.address,
      error: `request could not be sent: ${(err as Error).message}`,
    });
  }
}

type PartialResult = Omit<AttemptResult, 'durationMs'> & { durationMs?: number };

function send(
  request: DeliveryRequest,
  dest: CheckedDestination,
  options: DeliverOptions,
  started: number,
  done: (r: AttemptResult) => void,
): void {
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  let req: ClientRequest | undefined;
  let res: IncomingMessage | undefined;
  let finished = false;
  const chunks: Buffer[] = [];
  let kept = 0;
  let received = 0;

  const finish = (result: PartialResult): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    if (options.signal) options.signal.removeEventListener('abort', onAbort);
    result.durationMs = Math.round(performance.now() - started);
    result.address = dest.address;
    done(result as AttemptResult);
  };
  const withBody = (result: PartialResult, text = bodyText(chunks, kept)): PartialResult => {
    if (res) {
      result.responseSnippet = text;
      if (received > kept) result.responseTruncated = true;
    }
    return result;
  };
  const complete = (response: IncomingMessage): void => {
    const text = bodyText(chunks, kept);
    finish(withBody(classify(response, text), text));
  };
  const abortWith = (error: string): void => {
    if (finished) return;
    // A 2xx whose body never ends still counts: the receiver accepted the event.
    const result: PartialResult =
      res && isSuccess(res.statusCode) ? classify(res, '') : { outcome: AttemptOutcome.Retry, status: res?.statusCode };
    result.error = error;
    finish(withBody(result));
    req?.destroy();
  };

  const timer = setTimeout(
    () =>
      abortWith(
        `timed out after ${options.timeoutMs} ms ${res ? 'reading the response body' : 'waiting for a response'} from ${dest.hostname}`,
      ),
    options.timeoutMs,
  );
  const onAbort = (): void => abortWith('attempt aborted by the notifier (shutting down)');
  if (options.signal) {
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
  }

  const headers =
    request.headers['content-length'] === undefined
      ? { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) }
      : request.headers;
  const route = routeOf(dest);
  try {
    req = (route.https ? httpsRequest : httpRequest)({
      hostname: dest.hostname,
      port: route.port,
      path: route.path,
      method: 'POST',
      headers,
      agent: (options.agents ?? defaultAgentPool).agentFor(dest),
    });
  } catch (err) {
    // Invalid header characters and the like: the request itself is broken, retrying cannot help.
    return finish({
      outcome: AttemptOutcome.FailedPermanently,
      error: `request could not be built: ${(err as Error).message}`,
    });
  }
  req.on('error', (err: NodeJS.ErrnoException) => {
    if (finished) return;
    finish(
      withBody({
        outcome: AttemptOutcome.Retry,
        status: res?.statusCode,
        error: `${err.code ? `${err.code}: ` : ''}${err.message}`,
      }),
    );
  });
  req.on('response', (response: IncomingMessage) => {
    res = response;
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (kept < maxBytes) {
        const part = chunk.length > maxBytes - kept ? chunk.subarray(0, maxBytes - kept) : chunk;
        chunks.push(part);
        kept += part.length;
      }
      if (received > MAX_DRAIN_BYTES) {
        complete(response);
        req?.destroy();
      }
    });
    response.on('end', () => complete(response));
    // A reset mid-body is emitted here (only when listened to); the timer covers anything else.
    response.on('error', (err) => abortWith(`connection lost reading the response body: ${err.message}`));
  });
  req.end(request.body);
}

interface Route {
  https: boolean;
  port: string | undefined;
  path: string;
}

// Request fields derived from the URL, kept with the (cached, for IP literals) destination.
const routes = new WeakMap<CheckedDestination, Route>();

function routeOf(dest: CheckedDestination): Route {
  let route = routes.get(dest);
  if (!route) {
    const { url } = dest;
    route = { https: url.protocol === 'https:', port: url.port || undefined, path: url.pathname + url.search };
    routes.set(dest, route);
  }
  return route;
}

function bodyText(chunks: Buffer[], length: number): string {
  if (chunks.length === 0) return '';
  return (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length)).toString('utf8');
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

/** Maps a complete response to an outcome (snippet is added by the caller). */
function classify(res: IncomingMessage, body: string): PartialResult {
  const status = res.statusCode ?? 0;
  if (isSuccess(status)) return { outcome: AttemptOutcome.Delivered, status };
  const answered = `destination answered ${status} ${res.statusMessage || STATUS_CODES[status] || ''}`.trimEnd();
  if (status === 410) {
    return {
      outcome: AttemptOutcome.Gone,
      status,
      error: `${answered}: the receiver no longer accepts deliveries; the subscription should be disabled`,
    };
  }
  if (status >= 300 && status < 400) {
    return {
      outcome: AttemptOutcome.FailedPermanently,
      status,
      error: `${answered} redirecting to ${redirectOrigin(res.headers.location)}; redirects are not followed, so update the subscription URL to the final address`,
    };
  }
  if (status === 429 || status === 503) {
    const header = parseRetryAfter(res.headers['retry-after']);
    const fromBody = status === 429 ? parseRetryAfterBody(body) : undefined;
    const retryAfterMs = header === undefined ? fromBody : fromBody === undefined ? header : Math.max(header, fromBody);
    const wait = retryAfterMs === undefined ? '' : ` (asked to wait ${retryAfterMs} ms)`;
    return { outcome: AttemptOutcome.Retry, status, retryAfterMs, error: `${answered}${wait}` };
  }
  return { outcome: AttemptOutcome.Retry, status, error: answered };
}

/** Only the origin of a Location header: paths and queries may carry tokens. */
function redirectOrigin(location: string | undefined): string {
  if (!location) return 'nowhere (no Location header)';
  try {
    return new URL(location).origin;
  } catch {
    return 'a relative location on the same host';
  }
}
