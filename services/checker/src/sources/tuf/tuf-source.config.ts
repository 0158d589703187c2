import { z } from 'zod';
import { SourceCheckError, SourceErrorCode } from '../release-source';

/**
 * Decodes the pinned root: either the root.json text itself or its base64. Returns the bytes
 * tuf-js starts from; throws SourceCheckError(SOURCE_MISCONFIGURED) when it is not a root.
 */
export function decodeTrustedRoot(text: string): Buffer {
  const trimmed = text.trim();
  const bytes = trimmed.startsWith('{') ? Buffer.from(trimmed) : Buffer.from(trimmed, 'base64');
  let type: unknown;
  try {
    type = (JSON.parse(bytes.toString('utf8')) as { signed?: { _type?: unknown } }).signed?._type;
  } catch {
    type = undefined;
  }
  if (type !== 'root') {
    throw new SourceCheckError(
      SourceErrorCode.Misconfigured,
      'trustedRoot is not a TUF root.json (neither its JSON text nor base64 of it); paste the root.json the publisher printed or that sits at components/<component>/tuf/root.json',
    );
  }
  return bytes;
}

const isRootText = (text: string): boolean => {
  try {
    decodeTrustedRoot(text);
    return true;
  } catch {
    return false;
  }
};

const common = {
  /** The pinned root.json (JSON text or base64). Only metadata chained from it is believed. */
  trustedRoot: z
    .string()
    .min(1)
    .refine(isRootText, { message: 'trustedRoot must be the JSON of a TUF root.json, or base64 of it' }),
  /** Timeout in milliseconds of each download, body included (one metadata file or one artifact); default 15000. */
  timeoutMs: z.number().int().positive().max(300_000).default(15_000),
};

/** Settings of a `tuf` source: a TUF repository served over HTTP(S) or read straight from the deployment's bucket. */
export const TufSourceConfig = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('http'),
    /** Base URL of the metadata directory (where `timestamp.json` and `N.root.json` are). */
    metadataUrl: z.url({ protocol: /^https?$/ }),
    /** Base URL the target paths are relative to (the artifacts directory). */
    targetsUrl: z.url({ protocol: /^https?$/ }),
    ...common,
  }),
  z.object({
    mode: z.literal('s3'),
    /** Metadata prefix in the bucket; default `components/<component>/tuf/`. */
    prefix: z.string().min(1).optional(),
    /** Artifacts prefix in the bucket; default `components/<component>/artifacts/`. */
    artifactsPrefix: z.string().min(1).optional(),
    ...common,
  }),
]);
export type TufSourceConfig = z.infer<typeof TufSourceConfig>;
