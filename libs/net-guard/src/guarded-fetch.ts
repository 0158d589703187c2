import { CodedError } from '@lockstep/contracts';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pinnedLookup } from './agent-pool';
import type { AllowList } from './allow-list';
import { checkDestination, systemResolver, type CheckedDestination, type HostResolver } from './destination-guard';

/** Why a guarded fetch gave up on a redirect. */
export const RedirectErrorCode = {
  /** More redirects than allowed in a row. */
  TooMany: 'REDIRECT_TOO_MANY',
  /** A redirect from https to plain http, or to a non-http(s) URL. */
  Downgrade: 'REDIRECT_DOWNGRADE',
} as const;
export type RedirectErrorCode = (typeof RedirectErrorCode)[keyof typeof RedirectErrorCode];

/** A redirect was not followed. */
export class RedirectRefusedError extends CodedError<RedirectErrorCode> {
  override name = 'RedirectRefusedError';
}

/** The part of `fetch` the guarded fetch offers: GET (or HEAD) with headers and a signal. */
export type GuardedFetch = (
  url: string,
  init?: { method?: 'GET' | 'HEAD'; headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<Response>;

/** How a guarded fetch decides where it may connect. */
export interface GuardedFetchOptions {
  /** Non-public destinations allowed (public ones always are); name its setting in AllowList.parse. */
  allowList: AllowList;
  /** DNS; default the system resolver. Tests inject answers. */
  resolve?: HostResolver;
  /** Redirects followed in a row, each checked like the first URL. Default 5; 0 refuses every redirect. */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A `fetch` for metadata and artifacts that goes only where the destination guard allows:
 * each URL (the first and every redirect target) is checked by {@link checkDestination} (http(s)
 * only, no credentials in the URL, every resolved address public or allow-listed, DNS asked
 * once), and the connection is pinned to the checked address, so a DNS answer that changes
 * between check and connect (rebinding) cannot reach another host. A redirect from https to
 * http is refused. Throws DestinationRefusedError, DestinationUnresolvedError or
 * RedirectRefusedError before connecting anywhere it should not.
 */
export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const resolve = options.resolve ?? systemResolver;
  const maxRedirects = options.maxRedirects ?? 5;
  return async (url, init = {}) => {
    let target = new URL(url);
    for (let hop = 0; ; hop++) {
      const dest = await checkDestination(target, options.allowList, resolve);
      const res = await get(dest, init.method ?? 'GET', init.headers ?? {}, init.signal);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return toResponse(res);
      res.destroy();
      if (hop >= maxRedirects)
        throw new RedirectRefusedError(
          RedirectErrorCode.TooMany,
          `${target.origin} redirected more than ${maxRedirects} times in a row; point the setting at the final URL`,
        );
      const next = new URL(location, target);
      if (
        (next.protocol !== 'https:' && next.protocol !== 'http:') ||
        (target.protocol === 'https:' && next.protocol !== 'https:')
      )
        throw new RedirectRefusedError(
          RedirectErrorCode.Downgrade,
          `${target.origin} redirected to ${next.protocol}//${next.host}, leaving https; refused. Use the final https URL`,
        );
      target = next;
    }
  };
}

function get(
  dest: CheckedDestination,
  method: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  const https = dest.url.protocol === 'https:';
  // One connection, to the checked address only: the lookup never asks DNS again.
  const agentOptions = { keepAlive: false, lookup: pinnedLookup(dest.address, dest.family), autoSelectFamily: false };
  const agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(dest.url, { method, headers, agent, signal }, resolve);
    req.once('error', reject);
    req.end();
  });
}

function toResponse(res: IncomingMessage): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const status = res.statusCode ?? 500;
  if (NULL_BODY.has(status)) {
    res.resume();
    return new Response(null, { status, statusText: res.statusMessage, headers });
  }
  return new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, {
    status,
    statusText: res.statusMessage,
    headers,
  });
}
