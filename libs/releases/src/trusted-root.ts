import type { ObjectStore } from '@lockstep/storage';
import { ReleaseError, ReleaseErrorCode } from './errors';
import { assertComponentName } from './release-layout';
import { TufMetadataBucket } from './tuf-metadata-bucket';

/**
 * The newest root.json of a component, byte for byte. Operators pin it in the checker's
 * source settings (`trustedRoot`), so the checker trusts exactly the keys that root names
 * and follows later root versions only when the pinned one signed them.
 */
export async function trustedRootFor(store: ObjectStore, component: string): Promise<Buffer> {
  assertComponentName(component);
  const bucket = new TufMetadataBucket(store, component);
  const bytes = await bucket.readRootBytes();
  if (!bytes) {
    throw new ReleaseError(
      ReleaseErrorCode.RepositoryMissing,
      `component ${component} has no root.json in s3://${store.bucket}/${bucket.prefix}; publish a release first`,
    );
  }
  return bytes;
}
