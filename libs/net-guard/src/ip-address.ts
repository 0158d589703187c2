import { isIPv4, isIPv6 } from 'node:net';

/**
 * An IP address as bytes. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is normalised to IPv4, so a
 * mapped loopback address is classified, allow-listed and connected to exactly like `127.0.0.1`.
 */
export interface IpAddress {
  /** 4 or 6 after normalisation. */
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
  /** Canonical text: dotted quad for IPv4, Node's form for IPv6 (no brackets, no zone). */
  readonly text: string;
}

/** A network prefix such as `10.0.0.0/8` or `fc00::/7`. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  /** Prefix length in bits. */
  readonly prefix: number;
}

/**
 * Parses an IPv4 or IPv6 literal (brackets and a `%zone` suffix are tolerated) and normalises
 * IPv4-mapped IPv6 to IPv4. Returns undefined for anything that is not an IP literal.
 */
export function parseIp(input: string): IpAddress | undefined {
  let text = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (isIPv4(text)) return { family: 4, bytes: Uint8Array.from(text.split('.'), Number), text };
  if (!isIPv6(text)) return undefined;
  const bytes = ipv6Bytes(text);
  if (isMappedIpv4(bytes)) {
    const v4 = bytes.slice(12);
    return { family: 4, bytes: v4, text: v4.join('.') };
  }
  return { family: 6, bytes, text: text.toLowerCase() };
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a full-length prefix). Undefined when malformed. */
export function parseCidr(input: string): Cidr | undefined {
  const slash = input.indexOf('/');
  const ip = parseIp(slash >= 0 ? input.slice(0, slash) : input);
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const raw = input.slice(slash + 1);
    if (!/^\d{1,3}$/.test(raw)) return undefined;
    prefix = Number(raw);
    // A mapped prefix such as ::ffff:10.0.0.0/104 was normalised to IPv4: shift its length too.
    if (ip.family === 4 && isIPv6(input.slice(0, slash))) prefix -= 96;
    if (prefix < 0 || prefix > max) return undefined;
  }
  return { family: ip.family, bytes: ip.bytes, prefix };
}

/** True when `ip` lies inside `cidr` (families must match; mapped addresses are already IPv4). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const whole = cidr.prefix >> 3;
  for (let i = 0; i < whole; i++) if (cidr.bytes[i] !== ip.bytes[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (cidr.bytes[whole] & mask) === (ip.bytes[whole] & mask);
}

/** Shorthand for building constant tables; throws on a typo at module load. */
export function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`invalid CIDR constant ${text}`);
  return parsed;
}

/**
 * The IPv4 address embedded in an IPv6 address by a translation scheme (NAT64 64:ff9b::/96,
 * IPv4-compatible ::a.b.c.d, 6to4 2002::/16), or undefined. Used only for classification: the
 * connection still goes to the IPv6 address.
 */
export function embeddedIpv4(ip: IpAddress): IpAddress | undefined {
  if (ip.family !== 6) return undefined;
  const b = ip.bytes;
  let v4: Uint8Array | undefined;
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.subarray(4, 12).every((x) => x === 0))
    v4 = b.slice(12);
  else if (b.subarray(0, 12).every((x) => x === 0) && !(b[12] === 0 && b[13] === 0 && b[14] === 0)) v4 = b.slice(12);
  else if (b[0] === 0x20 && b[1] === 0x02) v4 = b.slice(2, 6);
  return v4 ? { family: 4, bytes: v4, text: v4.join('.') } : undefined;
}

function isMappedIpv4(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Expands a syntactically valid IPv6 literal (checked by isIPv6) into 16 bytes. */
function ipv6Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (part: string | undefined): number[] => {
    if (!part) return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}
