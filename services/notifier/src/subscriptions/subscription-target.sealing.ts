import { maskUrl } from '@lockstep/contracts';
import type { SecretKeyring } from '@lockstep/persistence';

/** A subscription's channel target as the notifier uses it: URL with its token, signing secrets… */
export type PlainTarget = Record<string, unknown>;

/** What a sealed target is bound to: its table, row and field, so it cannot be moved to another row. */
export const targetSealContext = (subscriptionId: string): string => `subscriptions/${subscriptionId}/target`;

/** The part of a target that may sit in plain text and be shown: the masked URL and how many secrets it holds. */
export function publicTarget(channel: string, target: PlainTarget): Record<string, unknown> {
  return {
    url: maskUrl(typeof target.url === 'string' ? target.url : '', channel),
    secretCount: Array.isArray(target.secrets) ? target.secrets.length : 0,
  };
}

/** The stored form of a target: the public part, and the whole target sealed under the current key. */
export function sealTarget(
  keyring: SecretKeyring,
  subscriptionId: string,
  channel: string,
  target: PlainTarget,
): { target: Record<string, unknown>; targetSealed: string } {
  return {
    target: publicTarget(channel, target),
    targetSealed: keyring.seal(JSON.stringify(target), targetSealContext(subscriptionId)),
  };
}

/** The whole target of a stored row: opened when sealed, as stored when not sealed yet. */
export function openTarget(
  keyring: SecretKeyring,
  row: { id: string; target: Record<string, unknown>; targetSealed: string | null },
): PlainTarget {
  if (row.targetSealed === null) return row.target;
  return JSON.parse(keyring.unseal(row.targetSealed, targetSealContext(row.id))) as PlainTarget;
}
