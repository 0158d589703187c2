import type { ObjectStore } from '@lockstep/storage';
import { z } from 'zod';
import { OnlineRoles, type TufOnlineKeySet } from './tuf-keys';
import { TufMetadataBucket } from './tuf-metadata-bucket';
import { assertOnlineKeysMatchRoot, DEFAULT_EXPIRY_MS, type ExpiryPolicy } from './tuf-signing';

/** File the checker keeps in a component's TUF prefix while it holds online keys that root trusts. */
export const ONLINE_REFRESHER_MARK = 'online-refresher.json';

/** A mark older than this means no refresher: two timestamp validities, so one missed day does not flip a publish. */
export const ONLINE_REFRESHER_MAX_AGE_MS = 2 * DEFAULT_EXPIRY_MS.timestamp;

/**
 * Validity of the online roles when nothing re-signs them: as long as targets, so the
 * repository expires as a whole and the checker's targets warning (7 days ahead) covers it.
 * The cost is TUF's freeze protection: a mirror may serve the same metadata that long, as
 * with any repository whose timestamp is signed offline; a checker with the online key file
 * brings the short default back from the next publish on.
 */
export const UNREFRESHED_EXPIRY_MS: ExpiryPolicy = {
  snapshot: DEFAULT_EXPIRY_MS.targets,
  timestamp: DEFAULT_EXPIRY_MS.targets,
};

const Mark = z.object({
  format: z.literal('lockstep-tuf-online-refresher/v1'),
  seenAt: z.string().datetime(),
  keyIds: z.object({ snapshot: z.string(), timestamp: z.string() }),
});
type Mark = z.infer<typeof Mark>;

/**
 * Leaves (or renews) the mark that an online refresher with `keys` serves this component;
 * throws KeysDoNotMatchRoot when the root does not trust them. Writes only when the mark is
 * missing, names other keys or is older than `renewAfterMs`; returns whether it wrote.
 */
export async function markOnlineRefresher(
  store: ObjectStore,
  component: string,
  keys: TufOnlineKeySet,
  now: Date,
  renewAfterMs = 0,
): Promise<boolean> {
  const bucket = new TufMetadataBucket(store, component);
  const root = await bucket.readRoot();
  if (!root) return false;
  assertOnlineKeysMatchRoot(root, keys, component);
  const mark = await readMark(bucket);
  const keyIds = { snapshot: keys.keys.snapshot.keyId, timestamp: keys.keys.timestamp.keyId };
  const current =
    mark &&
    OnlineRoles.every((role) => mark.keyIds[role] === keyIds[role]) &&
    now.getTime() - Date.parse(mark.seenAt) < renewAfterMs;
  if (current) return false;
  const next: Mark = { format: 'lockstep-tuf-online-refresher/v1', seenAt: now.toISOString(), keyIds };
  await bucket.writeRaw(ONLINE_REFRESHER_MARK, Buffer.from(`${JSON.stringify(next, null, 1)}\n`));
  return true;
}

/**
 * The expiry policy a publish or hand refresh signs with: the defaults (a day's timestamp)
 * when a checker holding the online keys this root trusts left its mark recently, else
 * UNREFRESHED_EXPIRY_MS, so a repository nothing re-signs does not stop verifying a day
 * after the last publish. A bucket writer can only remove or forge the mark: that changes
 * how long the next metadata lasts, not what it says.
 */
export async function expiryPolicyFor(store: ObjectStore, component: string, now: Date): Promise<ExpiryPolicy> {
  const bucket = new TufMetadataBucket(store, component);
  const [root, mark] = await Promise.all([bucket.readRoot(), readMark(bucket)]);
  const refreshed =
    root !== undefined &&
    mark !== undefined &&
    now.getTime() - Date.parse(mark.seenAt) < ONLINE_REFRESHER_MAX_AGE_MS &&
    OnlineRoles.every((role) => root.signed.roles[role]?.keyIDs.includes(mark.keyIds[role]));
  return refreshed ? {} : UNREFRESHED_EXPIRY_MS;
}

async function readMark(bucket: TufMetadataBucket): Promise<Mark | undefined> {
  const bytes = await bucket.readExtra(ONLINE_REFRESHER_MARK);
  if (!bytes) return undefined;
  try {
    return Mark.parse(JSON.parse(bytes.toString('utf8')));
  } catch {
    return undefined; // an unreadable mark is no mark
  }
}
