import { assertVersionText } from '@lockstep/releases';
import { lstat, mkdir, readdir, readlink, rename, rm, stat, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { fsyncDir, readJsonFile, writeJsonDurably } from '../support/durable-file';
import { releaseTree, releaseTreeDigest, treeStillHolds, type ReleaseTree } from './release-tree-hash';

const PARTIAL = '.partial';
/** Prefix of a release being deleted; no version starts with a dot. */
const TRASH = '.trash-';

const ReleasesFile = z.object({
  format: z.literal('lockstep-releases/v1'),
  releases: z.record(
    z.string(),
    z.object({
      sha256: z.string(),
      /** releaseTreeDigest of the tree as unpacked (kept in state/release-trees/<version>.json); reuse checks it. */
      treeHash: z.string().optional(),
      unpackedAt: z.string(),
      activatedAt: z.string().optional(),
    }),
  ),
});
type ReleasesFile = z.infer<typeof ReleasesFile>;

/** What the agent knows about one unpacked release. */
export type ReleaseRecord = ReleasesFile['releases'][string];

/** Throws unless `version` can name a directory under releases/. */
export function assertReleaseVersion(version: string): void {
  assertVersionText(version);
  if (version.endsWith(PARTIAL)) throw new Error(`version "${version}" cannot end with ${PARTIAL}`);
}

/**
 * The application directory of one node, and all file-system I/O on it:
 *
 *   releases/<version>/          unpacked releases (the last K are kept)
 *   releases/<version>.partial/  a release being unpacked
 *   releases/.trash-<version>-<n>/ a release being deleted (its record is already gone)
 *   current -> releases/<v>      the running release, swapped atomically (symlink + rename)
 *   shared/                      config and data that survive releases (shared/config.json)
 *   state/                       the agent's journal, fencing tokens, release records, TUF metadata
 *   tmp/                         downloads and backups of the command in progress
 *   logs/                        output of the supervised app
 */
export class AppDirectory {
  constructor(readonly root: string) {}

  get releasesDir(): string {
    return join(this.root, 'releases');
  }
  get currentLink(): string {
    return join(this.root, 'current');
  }
  get sharedDir(): string {
    return join(this.root, 'shared');
  }
  get stateDir(): string {
    return join(this.root, 'state');
  }
  get tmpDir(): string {
    return join(this.root, 'tmp');
  }
  get logsDir(): string {
    return join(this.root, 'logs');
  }
  private get recordsPath(): string {
    return join(this.stateDir, 'releases.json');
  }

  releaseDir(version: string): string {
    assertReleaseVersion(version);
    return join(this.releasesDir, version);
  }
  partialDir(version: string): string {
    return `${this.releaseDir(version)}${PARTIAL}`;
  }
  tmpPath(name: string): string {
    return join(this.tmpDir, name.replace(/[^A-Za-z0-9._-]/g, '_'));
  }

  /**
   * Creates the layout and removes what an interrupted command left behind: half-unpacked
   * releases, temporary symlinks and the tmp/ directory (backups the journal still needs are
   * kept by passing their paths in `keep`).
   */
  async init(keep: string[] = []): Promise<void> {
    for (const dir of [this.releasesDir, this.sharedDir, this.stateDir, this.tmpDir, this.logsDir])
      await mkdir(dir, { recursive: true, mode: 0o755 });
    for (const name of await readdir(this.releasesDir)) {
      if (name.endsWith(PARTIAL) || name.startsWith(TRASH))
        await rm(join(this.releasesDir, name), { recursive: true, force: true });
    }
    for (const name of await readdir(this.root)) {
      if (name.startsWith('.current-')) await rm(join(this.root, name), { force: true });
    }
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      if (!keep.includes(path)) await rm(path, { recursive: true, force: true });
    }
  }

  /** The version `current` points at, or null when there is no current release yet. */
  async currentVersion(): Promise<string | null> {
    let target: string;
    try {
      target = await readlink(this.currentLink);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code === 'EINVAL')
        throw new Error(
          `${this.currentLink} is not a symlink; move it away so the agent can manage the app directory`,
          {
            cause: err,
          },
        );
      throw err;
    }
    const m = /^releases\/([^/]+)\/?$/.exec(target);
    if (!m) throw new Error(`${this.currentLink} points to ${target}, not to releases/<version>; fix it by hand`);
    return m[1];
  }

  /** True when releases/<version> exists as a directory. */
  async hasRelease(version: string): Promise<boolean> {
    try {
      return (await lstat(this.releaseDir(version))).isDirectory();
    } catch {
      return false;
    }
  }

  /** The record of an unpacked release (sha256 of the artifact it came from…), if any. */
  async record(version: string): Promise<ReleaseRecord | undefined> {
    return (await this.records()).releases[version];
  }

  /**
   * True when releases/<version> may be run for the artifact `sha256`: its record names that
   * artifact and its tree still hashes to what was stored when it was unpacked. A tree a kill
   * left half-deleted, one changed since, or one recorded without a hash (by an older agent)
   * is not reused: the caller downloads the release again.
   */
  async keptRelease(version: string, sha256: string): Promise<boolean> {
    const record = await this.record(version);
    if (record?.sha256 !== sha256 || !record.treeHash || !(await this.hasRelease(version))) return false;
    const tree = await readJsonFile<ReleaseTree>(this.treePath(version)).catch(() => undefined);
    if (!tree || releaseTreeDigest(tree) !== record.treeHash) return false;
    return treeStillHolds(this.releaseDir(version), tree);
  }

  /** Where the tree of releases/<version> as unpacked is recorded. */
  private treePath(version: string): string {
    return join(this.stateDir, 'release-trees', `${version}.json`);
  }

  /** Versions kept under releases/ (complete ones only). */
  async releases(): Promise<string[]> {
    const names = await readdir(this.releasesDir, { withFileTypes: true });
    return names
      .filter((d) => d.isDirectory() && !d.name.endsWith(PARTIAL) && !d.name.startsWith('.'))
      .map((d) => d.name);
  }

  /** Prepares an empty releases/<version>.partial to unpack into. */
  async freshPartial(version: string): Promise<string> {
    const dir = this.partialDir(version);
    await rm(dir, { recursive: true, force: true });
    return dir;
  }

  /**
   * Moves releases/<v>.partial to releases/<v> (replacing an older copy that is not current) and
   * records it with the hash of its tree. A kill before the record is written leaves a tree
   * without a record, which is never reused.
   */
  async promote(version: string, sha256: string): Promise<string> {
    const dir = this.releaseDir(version);
    if ((await this.currentVersion()) === version)
      throw new Error(`refusing to replace releases/${version}: it is the current release`);
    const tree = await releaseTree(this.partialDir(version));
    await this.discard([version]);
    await mkdir(join(this.stateDir, 'release-trees'), { recursive: true });
    await writeJsonDurably(this.treePath(version), tree);
    const treeHash = releaseTreeDigest(tree);
    await rename(this.partialDir(version), dir);
    await fsyncDir(this.releasesDir);
    await this.updateRecords((r) => {
      r.releases[version] = { sha256, treeHash, unpackedAt: new Date().toISOString() };
    });
    return dir;
  }

  /**
   * Points `current` at releases/<version> atomically: a new symlink under a temporary name
   * renamed over the old one, then the directory fsync'd. `null` removes `current`.
   */
  async swapCurrent(version: string | null): Promise<void> {
    if (version === null) {
      await unlink(this.currentLink).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await fsyncDir(this.root);
      return;
    }
    if (!(await stat(this.releaseDir(version))).isDirectory())
      throw new Error(`releases/${version} is not a directory`);
    const tmp = join(this.root, `.current-${randomBytes(4).toString('hex')}`);
    await symlink(`releases/${version}`, tmp);
    try {
      await rename(tmp, this.currentLink);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await fsyncDir(this.root);
    await this.updateRecords((r) => {
      const rec = r.releases[version];
      if (rec) rec.activatedAt = new Date().toISOString();
    });
  }

  /**
   * Deletes releases beyond the `keep` most recently activated (or unpacked) ones; never
   * one named in `protect` (the current and the previous release). Returns what it deleted.
   */
  async prune(keep: number, protect: Array<string | null>): Promise<string[]> {
    const records = (await this.records()).releases;
    const at = (v: string) => records[v]?.activatedAt ?? records[v]?.unpackedAt ?? '';
    const ordered = (await this.releases()).sort((a, b) => at(b).localeCompare(at(a)));
    const kept = new Set([...ordered.slice(0, Math.max(keep, 1)), ...protect.filter((v): v is string => v !== null)]);
    const doomed = ordered.filter((v) => !kept.has(v));
    await this.discard(doomed);
    return doomed;
  }

  /**
   * Deletes releases so that no moment of it leaves a tree that looks reusable: their records
   * go first, then each tree is renamed (atomically) to a trash name and deleted; init()
   * finishes a delete a kill interrupted.
   */
  private async discard(versions: string[]): Promise<void> {
    if (!versions.length) return;
    await this.updateRecords((r) => {
      for (const v of versions) delete r.releases[v];
    });
    const trash: string[] = [];
    for (const v of versions) {
      const to = join(this.releasesDir, `${TRASH}${v}-${randomBytes(4).toString('hex')}`);
      try {
        await rename(this.releaseDir(v), to);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      trash.push(to);
    }
    if (trash.length) {
      await fsyncDir(this.releasesDir);
      for (const path of trash) await rm(path, { recursive: true, force: true });
    }
    // last: a recorded tree without its record is never used (promote writes both afresh)
    for (const v of versions) await rm(this.treePath(v), { force: true });
  }

  private async records(): Promise<ReleasesFile> {
    const raw = await readJsonFile<unknown>(this.recordsPath).catch(() => undefined);
    const parsed = ReleasesFile.safeParse(raw);
    return parsed.success ? parsed.data : { format: 'lockstep-releases/v1', releases: {} };
  }

  private async updateRecords(change: (r: ReleasesFile) => void): Promise<void> {
    const r = await this.records();
    change(r);
    await writeJsonDurably(this.recordsPath, r);
  }
}
