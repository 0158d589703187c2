import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './processes';
import { writeTarGz, type TarEntry } from './tar-writer';

/** Folder of the demo app's sources (server.js, hooks/migrate, config.defaults.json). */
export const demoAppDir = (): string => join(repoRoot(), 'deploy', 'demo-app');

/** Options of {@link buildDemoArtifact}. */
export interface DemoArtifactOptions {
  /** Ship a BROKEN marker: the release starts but its /health answers 500. */
  broken?: boolean;
  /** Leave out hooks/migrate. */
  noHook?: boolean;
  /** Extra entries appended to the archive. */
  extra?: TarEntry[];
}

/** The demo app's entries for one version (files at the archive root, as the agent expects). */
export function demoAppEntries(version: string, options: DemoArtifactOptions = {}): TarEntry[] {
  const dir = demoAppDir();
  const defaults = JSON.parse(readFileSync(join(dir, 'config.defaults.json'), 'utf8')) as Record<string, unknown>;
  // Every release adds one default key, so config migration has something to merge.
  const config = { ...defaults, features: { [`since-${version}`]: true } };
  const entries: TarEntry[] = [
    { path: 'server.js', data: readFileSync(join(dir, 'server.js')) },
    { path: 'VERSION', data: `${version}\n` },
    { path: 'config.defaults.json', data: `${JSON.stringify(config, null, 2)}\n` },
  ];
  if (!options.noHook)
    entries.push(
      { path: 'hooks', type: 'dir' },
      { path: 'hooks/migrate', data: readFileSync(join(dir, 'hooks', 'migrate')), mode: 0o755 },
    );
  if (options.broken) entries.push({ path: 'BROKEN', data: 'this release fails its health check on purpose\n' });
  return [...entries, ...(options.extra ?? [])];
}

/**
 * A release artifact (.tar.gz) of the demo app at `version`, built with node:zlib and a
 * minimal tar writer. `broken` makes its health check fail (the "broken release").
 */
export function buildDemoArtifact(version: string, options: DemoArtifactOptions = {}): Buffer {
  return writeTarGz(demoAppEntries(version, options));
}

/** Hostile archive kinds an agent must refuse to unpack. */
export const MaliciousArtifactKinds = [
  'dotdot',
  'absolute',
  'symlink',
  'symlink-absolute',
  'hardlink',
  'device',
  'fifo',
  'bomb',
] as const;
export type MaliciousArtifactKind = (typeof MaliciousArtifactKinds)[number];

/**
 * A demo-app artifact with one hostile entry:
 * - `dotdot`: `../escaped.txt`; `absolute`: `/tmp/lockstep-escaped-<pid>.txt`
 * - `symlink`: `logs -> ../../..` (escapes the release); `symlink-absolute`: `etc -> /etc`
 * - `hardlink`: a hard link to `/etc/passwd`; `device`: a character device; `fifo`: a named pipe
 * - `bomb`: a file of `bombBytes` zeros (default 64 MiB; compresses to a few dozen KiB)
 */
export function buildMaliciousArtifact(
  kind: MaliciousArtifactKind,
  version = '6.6.6',
  options: { bombBytes?: number } = {},
): Buffer {
  const hostile: Record<MaliciousArtifactKind, () => TarEntry[]> = {
    dotdot: () => [{ path: '../escaped.txt', data: 'written outside the release\n' }],
    absolute: () => [{ path: `/tmp/lockstep-escaped-${process.pid}.txt`, data: 'written at an absolute path\n' }],
    symlink: () => [
      { path: 'logs', type: 'symlink', linkpath: '../../..' },
      { path: 'logs/escaped.txt', data: 'written through a symlink\n' },
    ],
    'symlink-absolute': () => [{ path: 'etc', type: 'symlink', linkpath: '/etc' }],
    hardlink: () => [{ path: 'passwd', type: 'hardlink', linkpath: '/etc/passwd' }],
    device: () => [{ path: 'null', type: 'chardev' }],
    fifo: () => [{ path: 'pipe', type: 'fifo' }],
    bomb: () => [{ path: 'zeros.bin', data: Buffer.alloc(options.bombBytes ?? 64 * 1024 * 1024) }],
  };
  return writeTarGz(demoAppEntries(version, { extra: hostile[kind]() }));
}
