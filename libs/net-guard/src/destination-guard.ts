import { CodedError } from '@lockstep/contracts';
import { promises as dns } from 'node:dns';
import { AddressClass, AddressClassLabel, classifyAddress } from './address-class';
import type { AllowList } from './allow-list';
import { parseIp, type IpAddress } from './ip-address';

/** Why a destination was not accepted. */
export const DestinationErrorCode = {
  BadUrl: 'DESTINATION_BAD_URL',
  BadScheme: 'DESTINATION_BAD_SCHEME',
  Credentials: 'DESTINATION_CREDENTIALS_IN_URL',
  AddressRefused: 'DESTINATION_ADDRESS_REFUSED',
  Unresolved: 'DESTINATION_UNRESOLVED',
} as const;
export type DestinationErrorCode = (typeof DestinationErrorCode)[keyof typeof DestinationErrorCode];
/** Why a destination was refused (every code but the unresolved host, which may resolve later). */
export type DestinationRefusalCode = Exclude<DestinationErrorCode, typeof DestinationErrorCode.Unresolved>;

/**
 * The destination URL is not acceptable: malformed, not http(s), carries credentials, or one of
 * its addresses is in a refused class. Not retryable: the subscription or the allow-list must
 * change. Messages name the host and address but never the path or query, which for Slack and
 * Discord webhooks hold the secret token.
 */
export class DestinationRefusedError extends CodedError<DestinationRefusalCode> {
  override name = 'DestinationRefusedError';
  constructor(
    code: DestinationRefusalCode,
    message: string,
    readonly details: { hostname?: string; address?: string; addressClass?: AddressClass } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The destination host name did not resolve. Retryable at delivery time; worth a warning at create time. */
export class DestinationUnresolvedError extends CodedError<typeof DestinationErrorCode.Unresolved> {
  override name = 'DestinationUnresolvedError';
  constructor(
    readonly hostname: string,
    options?: { cause?: unknown },
  ) {
    const reason = (options?.cause as NodeJS.ErrnoException | undefined)?.code ?? 'no addresses';
    super(
      DestinationErrorCode.Unresolved,
      `could not resolve ${hostname} (${reason}); check the subscription URL's host name and the notifier's DNS`,
      options,
    );
  }
}

/** Resolves a host name to every address, like `dns.lookup(host, { all: true })`. Injectable for tests. */
export type HostResolver = (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>>;

/** The system resolver (getaddrinfo, honours /etc/hosts), addresses in the order the OS returns them. */
export const systemResolver: HostResolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** A destination that passed the guard: the connection must go to `address`, nowhere else. */
export interface CheckedDestination {
  /** The parsed URL; shared between callers for IP literals, so never modify it. */
  readonly url: Readonly<URL>;
  /** Host name without IPv6 brackets; the Host header and TLS server name. */
  readonly hostname: string;
  /** True when the URL named an IP literal (no DNS involved). */
  readonly literal: boolean;
  /** The checked address to connect to (first resolved address; IPv4-mapped IPv6 normalised). */
  readonly address: string;
  /** Family of `address`. */
  readonly family: 4 | 6;
  /** Class of `address`; non-public only when the allow-list permits it. */
  readonly addressClass: AddressClass;
}

/**
 * Checks a destination URL: http or https only, no `user:pass@`, and every address the host
 * resolves to must be public or allowed by `allowList` (a host with one bad address is refused
 * as a whole, so DNS answers cannot smuggle in an internal address). DNS is queried once, and
 * not at all for IP literals. Use it when a subscription is created and before every attempt.
 *
 * @throws DestinationRefusedError when the URL or an address is not acceptable.
 * @throws DestinationUnresolvedError when the host name does not resolve.
 */
export async function checkDestination(
  url: string | URL,
  allowList: AllowList,
  resolve: HostResolver = systemResolver,
): Promise<CheckedDestination> {
  const known = typeof url === 'string' ? checkedLiteral(url, allowList) : undefined;
  if (known) return known;
  const parsed = parseDestinationUrl(url);
  const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const literal = parseIp(hostname);
  if (literal) {
    const checked = accept(parsed, hostname, true, [literal], allowList);
    if (typeof url === 'string') remember(allowList, url, checked);
    return checked;
  }
  let answers: ReadonlyArray<{ address: string; family: number }>;
  try {
    answers = await resolve(hostname);
  } catch (err) {
    throw new DestinationUnresolvedError(hostname, { cause: err });
  }
  const ips = answers.map((a) => parseIp(a.address)).filter((ip): ip is IpAddress => ip !== undefined);
  if (ips.length === 0) throw new DestinationUnresolvedError(hostname);
  return accept(parsed, hostname, false, ips, allowList);
}

/**
 * Validates the URL part only (scheme, credentials, syntax), without DNS.
 * @throws DestinationRefusedError
 */
export function parseDestinationUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch (err) {
    throw new DestinationRefusedError(
      DestinationErrorCode.BadUrl,
      'destination is not an absolute URL; use https://host/path',
      {},
      { cause: err },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DestinationRefusedError(
      DestinationErrorCode.BadScheme,
      `destination scheme ${parsed.protocol.replace(/:$/, '')} is not supported; use an https:// (or http://) URL`,
      { hostname: parsed.hostname },
    );
  }
  if (parsed.username || parsed.password) {
    throw new DestinationRefusedError(
      DestinationErrorCode.Credentials,
      `destination URL for ${parsed.hostname} carries credentials; remove user:password@ and authenticate with the webhook signature or a token in the path`,
      { hostname: parsed.hostname },
    );
  }
  return parsed;
}

// Accepted IP-literal URLs per allow-list: their verdict cannot change, so the hot path skips
// URL parsing and classification. Host names are never cached: DNS is asked on every attempt.
const literalCache = new WeakMap<AllowList, Map<string, CheckedDestination>>();
const LITERAL_CACHE_MAX = 1024;

/**
 * The cached verdict for an IP-literal URL already accepted under this allow-list, or undefined
 * (not seen, refused, or a host name). Lets the sender skip a promise on its hot path.
 */
export function checkedLiteral(url: string, allowList: AllowList): CheckedDestination | undefined {
  return literalCache.get(allowList)?.get(url);
}

function remember(allowList: AllowList, url: string, checked: CheckedDestination): void {
  let cache = literalCache.get(allowList);
  if (!cache) literalCache.set(allowList, (cache = new Map<string, CheckedDestination>()));
  if (cache.size >= LITERAL_CACHE_MAX) cache.clear();
  cache.set(url, checked);
}

function accept(
  url: URL,
  hostname: string,
  literal: boolean,
  ips: readonly IpAddress[],
  allowList: AllowList,
): CheckedDestination {
  let first: { ip: IpAddress; cls: AddressClass } | undefined;
  for (const ip of ips) {
    const cls = classifyAddress(ip);
    if (!allowList.allows(ip, cls)) throw refusal(hostname, literal, ip, cls, allowList.setting);
    first ??= { ip, cls };
  }
  const { ip, cls } = first!;
  return { url, hostname, literal, address: ip.text, family: ip.family, addressClass: cls };
}

function refusal(
  hostname: string,
  literal: boolean,
  ip: IpAddress,
  cls: AddressClass,
  setting: string,
): DestinationRefusedError {
  const what = literal ? ip.text : `${hostname} (resolves to ${ip.text})`;
  const keyword =
    cls === AddressClass.Metadata
      ? `"${ip.text}/${ip.family === 4 ? 32 : 128}"`
      : `"${cls}" or a CIDR containing ${ip.text}`;
  return new DestinationRefusedError(
    DestinationErrorCode.AddressRefused,
    `refusing to connect to ${what}: it is a ${AddressClassLabel[cls]}; ` +
      `if this destination is intended, add ${keyword} to ${setting}, otherwise use a public URL`,
    { hostname, address: ip.text, addressClass: cls },
  );
}
