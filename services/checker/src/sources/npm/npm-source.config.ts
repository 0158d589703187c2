import { z } from 'zod';

/** npm's rules for names, loosely: an optional `@scope/` then URL-safe characters; at most 214 long. */
const PACKAGE_NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/i;

/** Default bound on a downloaded tarball; larger ones fail the check (raise it in the source settings). */
export const DEFAULT_MAX_TARBALL_BYTES = 64 * 1024 * 1024;

/** Default time one HTTP request (the package document or one tarball) may take. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Settings of the `npm` release source for one component. */
export const NpmSourceConfig = z.object({
  /** Registry base URL; may carry a path (Verdaccio, Artifactory). */
  registry: z
    .url({ protocol: /^https?$/, error: 'registry must be an http(s) URL such as https://registry.npmjs.org' })
    .default('https://registry.npmjs.org'),
  /** Package name, e.g. `my-app` or `@acme/my-app`. */
  package: z
    .string()
    .max(214)
    .regex(PACKAGE_NAME, { error: 'package must be an npm package name such as "my-app" or "@acme/my-app"' }),
  /** Time one HTTP request may take, in milliseconds. */
  timeoutMs: z.number().int().positive().max(600_000).optional(),
  /** Largest tarball the check will download to hash, in bytes. */
  maxTarballBytes: z.number().int().positive().default(DEFAULT_MAX_TARBALL_BYTES),
  /**
   * Also report versions for which the registry publishes no digest at all (neither
   * `dist.integrity` nor `dist.shasum`); their sha256 then rests on the TLS download alone.
   */
  allowUnverified: z.boolean().default(false),
});
export type NpmSourceConfig = z.infer<typeof NpmSourceConfig>;

/**
 * The path segment npm uses for a package: scoped names keep their `@` and encode the slash
 * (`@acme/app` -> `@acme%2fapp`), as the npm CLI does; other characters are already URL-safe.
 */
export function escapePackageName(name: string): string {
  return name.startsWith('@')
    ? `@${encodeURIComponent(name.slice(1))}`.replace('%2F', '%2f')
    : encodeURIComponent(name);
}

/** URL of the full package document (packument). Keeps any path in the registry URL. */
export function packumentUrl(registry: string, name: string): string {
  return `${registry.replace(/\/+$/, '')}/${escapePackageName(name)}`;
}
