import { LengthOrHashMismatchError, UnsignedMetadataError } from '@tufjs/models/dist/error';
import { BadVersionError, DownloadLengthMismatchError, ExpiredMetadataError } from 'tuf-js/dist/error';
import { TufFetchError } from './tuf-fetchers';

/**
 * What kind of failure a TUF client (tuf-js Updater) reported: metadata expired, older than
 * what is trusted (rollback / replay), not signed by the trusted keys, a file not matching its
 * signed hash or length, or something else. Shared by every Lockstep TUF reader (the
 * checker's tuf source, the node agent's artifact verifier).
 */
export type TufFailureKind = 'expired' | 'rollback' | 'signature' | 'mismatch' | 'other';

/*
 * tuf-js 5.0 rethrows snapshot/targets failures as `RuntimeError("Unable to load … error Error: <original message>")`,
 * dropping the class, so wrapped errors are recognised by the original messages below
 * (from tuf-js store.ts and @tufjs/models). tuf-js is pinned to ~5.0 in package.json.
 */
const MESSAGE_PATTERNS: Array<[RegExp, TufFailureKind]> = [
  [/is expired/i, 'expired'],
  [
    /is less than current version|does not match snapshot version|doesn't match timestamp|Expected version \d+, got/i,
    'rollback',
  ],
  [/was signed by \d+\/\d+ keys|failed to verify .* signature|no signature for key/i, 'signature'],
  [/Expected (hash|length)|Max length reached/i, 'mismatch'],
];

/** Classifies an error thrown by tuf-js (directly or wrapped in its RuntimeError). */
export function classifyTufFailure(err: unknown): TufFailureKind {
  if (err instanceof ExpiredMetadataError) return 'expired';
  if (err instanceof BadVersionError) return 'rollback';
  if (err instanceof UnsignedMetadataError) return 'signature';
  if (err instanceof LengthOrHashMismatchError || err instanceof DownloadLengthMismatchError) return 'mismatch';
  const message = (err as Error)?.message ?? '';
  return MESSAGE_PATTERNS.find(([pattern]) => pattern.test(message))?.[1] ?? 'other';
}

/** The original message of a tuf-js error, without tuf-js's "Unable to load … error" wrapping. */
export const tufFailureDetail = (err: unknown): string =>
  ((err as Error)?.message ?? String(err)).replace(/^Unable to load (snapshot metadata|targets) error (Error: )?/, '');

/** The fetch failure behind err, whether tuf-js passed it through or wrapped its message. */
export function fetchFailureBehind(err: unknown, last?: TufFetchError): TufFetchError | undefined {
  if (err instanceof TufFetchError) return err;
  if (last && ((err as Error)?.message ?? '').includes(last.message)) return last;
  return undefined;
}

/** True when a TUF client gave up on a metadata body past its size limit (an oversized or endless body). */
export const exceededSizeLimit = (err: unknown): boolean => /Max length reached/i.test((err as Error)?.message ?? '');
