import { Channels, formatIssues, Requirements, type Channel } from '@lockstep/contracts';
import { ReleaseError, ReleaseErrorCode } from './errors';

/**
 * Where a component's releases live in the bucket:
 *
 *   components/<component>/artifacts/<component>-<version>.tar.gz   artifact (the TUF target)
 *   components/<component>/tuf/root.json, N.root.json               every root version, newest also as root.json
 *   components/<component>/tuf/N.targets.json, N.snapshot.json      consistent-snapshot metadata
 *   components/<component>/tuf/timestamp.json                       written last on every publish
 */
const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/i;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_~-]{0,127}$/;

/** Prefix of everything stored for one component. */
export const componentPrefixFor = (component: string): string => `components/${component}/`;

/** Prefix under which a component's TUF metadata lives (the TUF "metadata base URL" in the bucket). */
export const tufPrefixFor = (component: string): string => `${componentPrefixFor(component)}tuf/`;

/** Prefix under which a component's artifacts live (the TUF "targets base URL" in the bucket). */
export const artifactsPrefixFor = (component: string): string => `${componentPrefixFor(component)}artifacts/`;

/** TUF target path of one release, relative to the artifacts prefix. */
export const targetPathFor = (component: string, version: string): string => `${component}-${version}.tar.gz`;

/** Object key of one release's artifact. */
export const artifactKeyFor = (component: string, version: string): string =>
  `${artifactsPrefixFor(component)}${targetPathFor(component, version)}`;

/** Throws unless the component name is safe to use in object keys (letters, digits, `.`, `_`, `-`). */
export function assertComponentName(component: string): void {
  if (!NAME.test(component)) {
    throw new ReleaseError(
      ReleaseErrorCode.InvalidInput,
      `component name "${component}" is not allowed; use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

/**
 * Throws unless the version is safe to use in an object key. Whether it fits the component's
 * version scheme is checked by the CLI, not here.
 */
export function assertVersionText(version: string): void {
  if (!VERSION.test(version) || version.includes('..')) {
    throw new ReleaseError(
      ReleaseErrorCode.InvalidInput,
      `version "${version}" cannot be used in a file name; use letters, digits and ". + _ ~ -" only`,
    );
  }
}

/** Throws unless channel is one of stable, beta, alpha. */
export function assertChannel(channel: string): asserts channel is Channel {
  if (!(Channels as readonly string[]).includes(channel)) {
    throw new ReleaseError(
      ReleaseErrorCode.InvalidInput,
      `channel "${channel}" is unknown; use one of ${Channels.join(', ')}`,
    );
  }
}

/** Checks a release's requirements (component name → version range) before they are signed. */
export function assertRequirements(requires: unknown): asserts requires is Requirements {
  const parsed = Requirements.safeParse(requires);
  if (!parsed.success) {
    throw new ReleaseError(
      ReleaseErrorCode.InvalidInput,
      `requirements ${JSON.stringify(requires)} are not valid: ${formatIssues(parsed.error)}; write them as component>=VERSION, e.g. config>=2.0.0,app^1.4`,
    );
  }
}
