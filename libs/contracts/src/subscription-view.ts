import type { SubscriptionViewV1 } from './queries';

/** The stored fields of a subscription that its public view is built from (the notifier's entity fits). */
export interface StoredSubscription {
  id: string;
  name: string;
  channel: string;
  /**
   * Channel target as stored: `{ url: <masked>, secretCount }` once sealed (the notifier keeps
   * the whole target sealed elsewhere), or the whole target (URL, signing secrets) in the notifier.
   */
  target: Record<string, unknown>;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt?: Date | null;
}

/**
 * The public view of a subscription: Slack/Discord URL tokens masked, secrets counted, never
 * shown. Every process that shows subscriptions (notifier replies, the API) goes through it.
 */
export function toView(s: StoredSubscription): SubscriptionViewV1 {
  const target = s.target as { url?: unknown; secrets?: unknown; secretCount?: unknown };
  return {
    id: s.id,
    name: s.name,
    channel: s.channel,
    url: maskUrl(typeof target.url === 'string' ? target.url : '', s.channel),
    secretCount: Array.isArray(target.secrets)
      ? target.secrets.length
      : typeof target.secretCount === 'number'
        ? target.secretCount
        : 0,
    eventTypes: s.eventTypes,
    enabled: s.enabled,
    disabledReason: s.disabledReason,
    createdAt: s.createdAt?.toISOString?.() ?? new Date().toISOString(),
  };
}

/**
 * Slack and Discord webhook URLs carry their secret in the path; show only the origin and
 * first segment. Webhook URLs lose their query string and credentials, which may hold tokens.
 * Masking a masked URL changes nothing.
 */
export function maskUrl(url: string, channel: string): string {
  try {
    const u = new URL(url);
    if (channel === 'webhook') return `${u.origin}${u.pathname}`;
    const first = u.pathname.split('/').filter(Boolean)[0] ?? '';
    return `${u.origin}/${first}/***`;
  } catch {
    return '***';
  }
}
