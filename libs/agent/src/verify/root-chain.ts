import { Metadata, MetadataKind, type Root } from '@tufjs/models';
import { createHash } from 'node:crypto';

/** Bound on one root.json read while walking the chain. */
export const MAX_ROOT_BYTES = 512 * 1024;

/** Why a kept root does not chain from the pinned one (a sentence, for the error message). */
export class RootChainError extends Error {
  override name = 'RootChainError';
}

const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function parseRoot(bytes: Buffer, what: string): Metadata<Root> {
  try {
    return Metadata.fromJSON(MetadataKind.Root, JSON.parse(bytes.toString('utf8')) as never);
  } catch (err) {
    throw new RootChainError(`${what} is not TUF root metadata (${(err as Error).message})`);
  }
}

/**
 * Checks that `kept` (the root.json an agent keeps in its state directory) chains from the
 * `pinned` root, as TUF's root update rule demands: every version after the pinned one, in
 * turn and without gaps, is signed by a threshold of the previous root's root keys and by a
 * threshold of its own. Intermediate versions `N.root.json` come from `fetchVersion` (the
 * component's repository; their signatures, not their source, make them trustworthy). The
 * kept root itself must be the last link. Throws RootChainError saying which link breaks.
 */
export async function checkRootChain(
  pinned: Buffer,
  kept: Buffer,
  fetchVersion: (version: number) => Promise<Buffer>,
): Promise<void> {
  let trusted = parseRoot(pinned, 'the pinned root');
  const last = parseRoot(kept, 'the kept root.json');
  const from = trusted.signed.version;
  const to = last.signed.version;
  if (to < from) throw new RootChainError(`the kept root.json is version ${to}, older than the pinned version ${from}`);
  if (to === from) {
    if (digest(kept) !== digest(pinned))
      throw new RootChainError(`the kept root.json is version ${to} like the pinned root, but not the same file`);
    return;
  }
  for (let version = from + 1; version <= to; version++) {
    const next = version === to ? last : parseRoot(await fetchVersion(version), `${version}.root.json`);
    if (next.signed.version !== version)
      throw new RootChainError(`${version}.root.json says it is version ${next.signed.version}`);
    try {
      trusted.verifyDelegate(MetadataKind.Root, next);
    } catch (err) {
      throw new RootChainError(
        `root version ${version} is not signed by a threshold of version ${version - 1}'s root keys (${(err as Error).message})`,
      );
    }
    try {
      next.verifyDelegate(MetadataKind.Root, next);
    } catch (err) {
      throw new RootChainError(
        `root version ${version} is not signed by a threshold of its own root keys (${(err as Error).message})`,
      );
    }
    trusted = next;
  }
}
