/** Settings the allowed Host names derive from. */
export interface HostSettings {
  /** Comma list of host names (any port) or `host:port` (that port only); empty: the defaults. */
  API_ALLOWED_HOSTS: string;
  HTTP_HOST: string;
}

const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The `Host` header values the API answers to: API_ALLOWED_HOSTS when set, otherwise
 * localhost, 127.0.0.1 and [::1], plus the bind host. A web page that points a name it
 * controls at 127.0.0.1 (DNS rebinding) sends its own name as Host, and is refused.
 */
export function allowedHosts(settings: HostSettings): Set<string> {
  const configured = settings.API_ALLOWED_HOSTS.split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  if (configured.length) return new Set(configured);
  const bind = settings.HTTP_HOST.trim().toLowerCase();
  const names = ['localhost', '127.0.0.1', '[::1]'];
  if (!WILDCARD_BINDS.has(bind)) names.push(bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind);
  return new Set(names);
}

/** Whether a request's Host header (absent: refused) is allowed: its name is listed, or it is listed with that port. */
export function hostAllowed(host: string | undefined, allowed: Set<string>): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase();
  if (allowed.has(h)) return true;
  const name = /^(\[[^\]]+\]|[^:]+)(:\d+)?$/.exec(h)?.[1];
  return name !== undefined && allowed.has(name);
}
