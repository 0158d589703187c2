import { createHash } from 'node:crypto';
import type { ComponentFleet, ComponentView } from '@lockstep/contracts';
import type { ComponentEntity, SourceStateEntity } from '@lockstep/persistence';

/** Setting names whose values are secrets wherever they appear. */
const SECRET_KEY = /token|secret|password|passwd|credential|auth|private/i;

/**
 * sha256 hex of the pinned root.json file: of the text as given, or of the bytes it encodes
 * when it was pinned as base64. For a root pinned straight from `lockstep release root` it
 * equals `sha256sum root.json` and the `sha256` of `lockstep release root --json`.
 */
export function trustedRootFingerprint(trustedRoot: string): string {
  const bytes = trustedRoot.trim().startsWith('{')
    ? Buffer.from(trustedRoot)
    : Buffer.from(trustedRoot.trim(), 'base64');
  return createHash('sha256').update(bytes).digest('hex');
}

/** A URL without user:password; other strings unchanged. */
function withoutCredentials(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) return value;
  try {
    const u = new URL(value);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '***';
  }
}

/**
 * Source settings safe to show: the pinned root becomes its sha256 fingerprint (operators
 * compare it with the root.json they published), secret-looking settings become `***`, and
 * URLs lose embedded credentials.
 */
export function sanitizeSourceConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config ?? {})) {
    if (key === 'trustedRoot') {
      if (typeof value === 'string') out.trustedRootSha256 = trustedRootFingerprint(value);
    } else if (SECRET_KEY.test(key)) {
      out[key] = '***';
    } else if (typeof value === 'string') {
      out[key] = withoutCredentials(value);
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = sanitizeSourceConfig(value as Record<string, unknown>);
    } else {
      out[key] = value;
    }
  }
  return out;
}

const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** Builds the public view of a component, its source state and what its nodes run (null: unknown). */
export function toComponentView(
  c: ComponentEntity,
  state: SourceStateEntity | null | undefined,
  fleet: ComponentFleet | null,
): ComponentView {
  return {
    name: c.name,
    scheme: c.scheme,
    channel: c.channel,
    currentVersion: c.currentVersion,
    fleet,
    sourceType: c.sourceType,
    source: sanitizeSourceConfig(c.sourceConfig),
    requires: c.requires ?? {},
    lastCheckedAt: iso(state?.lastCheckedAt),
    lastError: state?.lastErrorCode ? { code: state.lastErrorCode, message: state.lastError ?? '' } : null,
    createdAt: iso(c.createdAt) ?? '',
    updatedAt: iso(c.updatedAt) ?? '',
  };
}
