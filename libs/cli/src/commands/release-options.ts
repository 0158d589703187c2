import { stat } from 'node:fs/promises';
import { ComponentUpsertV1 } from '@lockstep/contracts';
import { MAX_OBJECT_BYTES } from '@lockstep/storage';
import { getScheme } from '@lockstep/versioning';
import { UsageError } from '../errors';

/** Checks a component name the way the checker will when it is registered. */
export function checkComponentName(name: string): string {
  const r = ComponentUpsertV1.shape.name.safeParse(name);
  if (!r.success) throw new UsageError(`component "${name}": ${r.error.issues[0]?.message ?? 'invalid name'}`);
  return name;
}

/** Checks a version against the component's scheme; the message says which form is expected. */
export function checkVersion(version: string, schemeId: string): string {
  try {
    return getScheme(schemeId).validate(version);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

/**
 * Checks the artifact before anything is uploaded: it exists, is a regular file and fits in
 * one object (16 MiB). Returns its size.
 */
export async function checkArtifact(path: string): Promise<number> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`artifact ${path} is not a regular file; pass the release .tar.gz`);
    size = info.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `artifact ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass the path of the release .tar.gz`,
      { cause: err },
    );
  }
  if (size > MAX_OBJECT_BYTES)
    throw new UsageError(
      `artifact ${path} is ${size} bytes; releases must be at most ${MAX_OBJECT_BYTES} bytes (16 MiB). Leave data and caches out of the tarball`,
    );
  return size;
}
