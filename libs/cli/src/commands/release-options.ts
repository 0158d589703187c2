import { stat } from 'node:fs/promises';
import { ComponentUpsertV1, formatIssues, Requirements } from '@lockstep/contracts';
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

/** One `--requires` item: a component name, then a range starting with an operator, or `@` and any range. */
const REQUIREMENT_ITEM = /^([a-z0-9][a-z0-9._-]*?)\s*(?:@\s*(.+)|([<>=^~].*))$/;

const REQUIRES_FORM =
  'a comma-separated list of COMPONENT followed by a version range, e.g. --requires "config>=2.0.0,app^1.4,worker>=2.0 <3" (app@1.4.x for a range without an operator; "" for none)';

/**
 * Parses `--requires config>=2.0.0,app^1.4` into `{ config: '>=2.0.0', app: '^1.4' }`; an empty
 * value is no requirements. Throws UsageError naming the item that does not parse.
 */
export function parseRequiresOption(value: string): Requirements {
  const out: Record<string, string> = {};
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const m = REQUIREMENT_ITEM.exec(item);
    if (!m)
      throw new UsageError(`--requires item "${item}" is not COMPONENT followed by a range; expected ${REQUIRES_FORM}`);
    const name = m[1];
    if (name in out) throw new UsageError(`--requires names ${name} twice; give each component one range`);
    out[name] = (m[2] ?? m[3]).trim();
  }
  const parsed = Requirements.safeParse(out);
  if (!parsed.success)
    throw new UsageError(`--requires "${value}": ${formatIssues(parsed.error)}; expected ${REQUIRES_FORM}`);
  return parsed.data;
}
