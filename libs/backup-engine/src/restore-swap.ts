import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BackupEngineError, BackupErrorCode } from './errors';

/** The filesystem calls a swap makes (node:fs/promises; a test may make one fail). */
export type SwapFs = Pick<
  typeof fsp,
  'chmod' | 'lstat' | 'mkdir' | 'readdir' | 'readFile' | 'rename' | 'rm' | 'writeFile'
>;

/** Names of the work directories and the journal an in-place restore keeps inside its target. */
const IN_PLACE_STAGING = '.lockstep-restore-';
const IN_PLACE_OLD = '.lockstep-old-';
const IN_PLACE_JOURNAL = '.lockstep-swap-';

/**
 * Written inside the target before an in-place exchange moves anything, and rewritten as
 * the exchange changes course, removed last: the next restore into that target (or an
 * agent starting up) reads it and brings the target to a whole state.
 *
 * - `exchanging`: moves under way; the staged tree was complete and verified before the
 *   journal was written, so the exchange is finished (old entries aside, new ones in).
 * - `undoing`: the exchange failed and was being reversed; the reversal is finished.
 * - `done`: the target is whole (new, or old again); only the work directories are left.
 */
interface SwapJournal {
  state: 'exchanging' | 'undoing' | 'done';
  /** Directory names inside the target. */
  staging: string;
  old: string;
  /** The target's entries to move aside, then the staged entries to move in. */
  aside: string[];
  in: string[];
  rootMode?: number;
  /** The target's mode before the exchange, put back by an undo. */
  modeBefore: number;
}

/** Our work directories and journals: never moved as entries, never taken into a backup. */
export const RESERVED_ENTRY_PREFIXES = [IN_PLACE_STAGING, IN_PLACE_OLD, IN_PLACE_JOURNAL] as const;
const isReserved = (name: string): boolean => RESERVED_ENTRY_PREFIXES.some((p) => name.startsWith(p));

/** Journal path of an in-place plan (its staging directory's suffix). */
export function journalPathOf(plan: Pick<SwapPlan, 'target' | 'staging'>): string {
  return join(plan.target, `${IN_PLACE_JOURNAL}${basename(plan.staging).slice(IN_PLACE_STAGING.length)}.json`);
}

/**
 * Written beside the target before a sibling swap renames anything, rewritten when the swap
 * is undone, removed last; the next restore into that target (or an agent starting up) reads
 * it and brings the target back, so a kill between the two renames never leaves it missing.
 *
 * - `exchanging`: the staged tree was complete before the journal was written; the swap is
 *   finished (the old directory aside, the staged one in its place).
 * - `undoing`: the swap failed or was being reversed; the old directory is put back.
 */
interface SiblingJournal {
  state: 'exchanging' | 'undoing';
  /** Names beside the target. */
  staging: string;
  old: string;
  /** The target existed before the swap (there is an old directory to put back). */
  existed: boolean;
}

/** Prefix of every name a sibling swap of `target` puts beside it. */
const siblingPrefix = (target: string): string => `.${basename(target)}.`;

/** Replaces the journal whole (a crash leaves the old one or the new one, never a torn one). */
async function writeJournalFile(fs: SwapFs, path: string, journal: SwapJournal | SiblingJournal): Promise<void> {
  await fs.writeFile(`${path}.tmp`, JSON.stringify(journal), { mode: 0o600, flush: true });
  await fs.rename(`${path}.tmp`, path);
}

/** A journal's names must be plain entries of the target: anything else was not written by a restore. */
const plainName = (name: unknown): boolean =>
  typeof name === 'string' &&
  name !== '' &&
  name !== '.' &&
  name !== '..' &&
  !name.includes('/') &&
  !name.includes('\0');

/**
 * Where one tree is written before it replaces its target, and how it replaces it.
 *
 * - `sibling`: the tree is written next to the target and the directory itself is renamed
 *   over it (old one moved aside first): the usual case, one atomic step.
 * - `inPlace`: the target is a mount point (its device differs from its parent's), so it
 *   cannot be renamed and a sibling would lie on another filesystem. The tree is written
 *   into a directory inside the target, then the target's entries are moved aside into
 *   another one and the new entries moved in, one rename each; the target keeps its own
 *   inode, only its mode is set from the backup.
 */
export interface SwapPlan {
  target: string;
  /** Directory the tree is written into. */
  staging: string;
  /** Where the old target (sibling) or its entries (inPlace) go until the swap is done. */
  old: string;
  inPlace: boolean;
  /** Mode the backup gives the tree's root: set on the staging directory (sibling) or on the target once filled (inPlace). */
  rootMode?: number;
  /**
   * The target held nothing when planned (a restore `--to`): the swap moves nothing aside and
   * fails with RestoreTargetNotEmpty if something appeared in it meanwhile.
   */
  exclusive?: boolean;
}

/**
 * Plans the swap of `target` (which may not exist yet); creates nothing. `exclusive`: the
 * target is missing or an empty directory; an empty one is filled in place (it keeps its inode).
 */
export async function planSwap(
  target: string,
  rootMode: number | undefined,
  fs: SwapFs = fsp,
  exclusive = false,
): Promise<SwapPlan> {
  const suffix = randomBytes(4).toString('hex');
  const parent = dirname(target);
  await finishSiblingSwaps(target, fs);
  const st = await fs.lstat(target).catch(() => undefined);
  if (st?.isDirectory()) {
    const up = await fs.lstat(parent);
    if (exclusive || up.dev !== st.dev || up.ino === st.ino) {
      await finishInterruptedRestores(target, fs);
      return {
        target,
        staging: join(target, `${IN_PLACE_STAGING}${suffix}`),
        old: join(target, `${IN_PLACE_OLD}${suffix}`),
        inPlace: true,
        rootMode,
        ...(exclusive && { exclusive }),
      };
    }
  }
  return {
    target,
    staging: join(parent, `.${basename(target)}.restore-${suffix}`),
    old: join(parent, `.${basename(target)}.old-${suffix}`),
    inPlace: false,
    rootMode,
    ...(exclusive && { exclusive }),
  };
}

/**
 * Brings `target` to a whole state after sibling swaps (see SiblingJournal) or in-place
 * exchanges (see SwapJournal) a crash cut off: a swap or exchange is finished, an undo is
 * finished. Removes staging directories of restores killed before their swap began. An old
 * copy left without a journal stops here with directions; so does a journal that names
 * anything but plain entries of the target (or names beside it). Throws ENOENT when the
 * target does not exist once that is done.
 */
export async function finishInterruptedRestores(target: string, fs: SwapFs = fsp): Promise<void> {
  await finishSiblingSwaps(target, fs);
  const names = await fs.readdir(target);
  const present = (path: string) => exists(fs, path);
  for (const name of names.filter((n) => n.startsWith(IN_PLACE_JOURNAL) && n.endsWith('.json.tmp')))
    await fs.rm(join(target, name), { force: true }); // torn rewrites: the journal itself is whole
  for (const name of names.filter((n) => n.startsWith(IN_PLACE_JOURNAL) && n.endsWith('.json'))) {
    const path = join(target, name);
    const journal = await readJournalFile<SwapJournal>(
      fs,
      path,
      target,
      `the ${IN_PLACE_OLD}* and ${IN_PLACE_STAGING}* directories inside it`,
    );
    const names = [journal.staging, journal.old, ...(journal.aside ?? []), ...(journal.in ?? [])];
    if (
      !['exchanging', 'undoing', 'done'].includes(journal.state) ||
      !names.every(plainName) ||
      !journal.staging.startsWith(IN_PLACE_STAGING) ||
      !journal.old.startsWith(IN_PLACE_OLD)
    ) {
      throw new BackupEngineError(
        BackupErrorCode.SwapFailed,
        `${path} is not a journal this version of Lockstep wrote (it names more than plain entries of ${target}); nothing was moved. Check ${target} by hand, then delete it.`,
      );
    }
    const staging = join(target, journal.staging);
    const old = join(target, journal.old);
    if (journal.state === 'exchanging') {
      await fs.mkdir(old, { recursive: true, mode: 0o700 });
      // an old entry still in the target goes aside, unless one of that name is aside already (then the target's is new)
      for (const entry of journal.aside)
        if ((await present(join(target, entry))) && !(await present(join(old, entry))))
          await fs.rename(join(target, entry), join(old, entry));
      for (const entry of journal.in)
        if (await present(join(staging, entry))) await fs.rename(join(staging, entry), join(target, entry));
      if (journal.rootMode !== undefined) await fs.chmod(target, journal.rootMode);
    } else if (journal.state === 'undoing') {
      const aside = new Set(journal.aside);
      // a new entry still in the target goes back to staging (when its name was also an old one, only while the old one is still aside)
      for (const entry of journal.in)
        if (
          !(await present(join(staging, entry))) &&
          (await present(join(target, entry))) &&
          (!aside.has(entry) || (await present(join(old, entry))))
        )
          await fs.rename(join(target, entry), join(staging, entry));
      for (const entry of journal.aside)
        if (await present(join(old, entry))) await fs.rename(join(old, entry), join(target, entry));
      if (typeof journal.modeBefore === 'number') await fs.chmod(target, journal.modeBefore);
    }
    await writeJournalFile(fs, path, { ...journal, state: 'done' });
    await fs.rm(old, { recursive: true, force: true });
    await fs.rm(staging, { recursive: true, force: true });
    await fs.rm(path, { force: true });
  }
  const left = await fs.readdir(target);
  for (const name of left.filter((n) => n.startsWith(IN_PLACE_STAGING)))
    await fs.rm(join(target, name), { recursive: true, force: true });
  let stray: string | undefined;
  for (const name of left.filter((n) => n.startsWith(IN_PLACE_OLD))) {
    if ((await fs.readdir(join(target, name))).length === 0)
      await fs.rm(join(target, name), { recursive: true, force: true });
    else stray ??= name;
  }
  if (stray === undefined) return;
  throw new BackupEngineError(
    BackupErrorCode.SwapFailed,
    `${join(target, stray)} is left from an interrupted restore into ${target}, without a journal: it holds entries of the target from before that restore. Move what you want to keep from it back into ${target}, delete it, then restore again.`,
  );
}

const exists = (fs: SwapFs, path: string): Promise<boolean> =>
  fs.lstat(path).then(
    () => true,
    () => false,
  );

/** Finishes or undoes the sibling swaps of `target` a crash cut off (their journals lie beside it). */
async function finishSiblingSwaps(target: string, fs: SwapFs): Promise<void> {
  const parent = dirname(target);
  const prefix = siblingPrefix(target);
  const names = await fs.readdir(parent).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const journals = names.filter((n) => n.startsWith(`${prefix}swap-`));
  for (const name of journals.filter((n) => n.endsWith('.json.tmp'))) await fs.rm(join(parent, name), { force: true });
  const inUse = new Set<string>();
  for (const name of journals.filter((n) => n.endsWith('.json'))) {
    const path = join(parent, name);
    const journal = await readSiblingJournal(fs, path, target);
    const staging = join(parent, journal.staging);
    const old = join(parent, journal.old);
    if (journal.state === 'exchanging') {
      if (await exists(fs, staging)) {
        if (await exists(fs, target)) {
          if (!journal.existed || (await exists(fs, old)))
            throw new BackupEngineError(
              BackupErrorCode.SwapFailed,
              `${path} says a restore was replacing ${target}, but ${target}, ${staging}${journal.existed ? ` and ${old}` : ''} all exist: nothing was moved. Keep the one of them you want as ${target}, delete the others and the journal, then restart.`,
            );
          await fs.rename(target, old);
        }
        await fs.rename(staging, target);
      }
    } else {
      // the new tree goes back to staging, unless it is there already; then the old one comes back
      if (!(await exists(fs, staging)) && (await exists(fs, target)) && (!journal.existed || (await exists(fs, old))))
        await fs.rename(target, staging);
      if (journal.existed && (await exists(fs, old)) && !(await exists(fs, target))) await fs.rename(old, target);
    }
    await fs.rm(old, { recursive: true, force: true });
    await fs.rm(staging, { recursive: true, force: true });
    await fs.rm(path, { force: true });
    inUse.add(journal.staging).add(journal.old);
  }
  const left = await fs.readdir(parent);
  for (const name of left.filter((n) => n.startsWith(`${prefix}restore-`) && !inUse.has(n)))
    await fs.rm(join(parent, name), { recursive: true, force: true });
  if (await exists(fs, target)) return;
  const stray = left.find((n) => n.startsWith(`${prefix}old-`));
  if (stray === undefined) return;
  throw new BackupEngineError(
    BackupErrorCode.SwapFailed,
    `${target} is missing and ${join(parent, stray)} is left from an interrupted restore into it, without a journal: it holds ${target} from before that restore. Check it, rename it back to ${target}, then restart or restore again.`,
  );
}

/** Reads a swap journal; one that cannot be read stops the restore with directions (`workDirs`: where to look). */
async function readJournalFile<T>(fs: SwapFs, path: string, target: string, workDirs: string): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as T;
  } catch (cause) {
    throw new BackupEngineError(
      BackupErrorCode.SwapFailed,
      `${path} cannot be read (${(cause as Error).message}): an interrupted restore into ${target} cannot be finished. Check ${target} against ${workDirs} by hand, then delete them and the journal.`,
      { cause },
    );
  }
}

async function readSiblingJournal(fs: SwapFs, path: string, target: string): Promise<SiblingJournal> {
  const prefix = siblingPrefix(target);
  const journal = await readJournalFile<SiblingJournal>(
    fs,
    path,
    target,
    `the ${prefix}old-* and ${prefix}restore-* directories beside it`,
  );
  if (
    !['exchanging', 'undoing'].includes(journal.state) ||
    typeof journal.existed !== 'boolean' ||
    !plainName(journal.staging) ||
    !plainName(journal.old) ||
    !journal.staging.startsWith(`${prefix}restore-`) ||
    !journal.old.startsWith(`${prefix}old-`)
  )
    throw new BackupEngineError(
      BackupErrorCode.SwapFailed,
      `${path} is not a journal this version of Lockstep wrote (it names more than the restore directories beside ${target}); nothing was moved. Check ${target} by hand, then delete it.`,
    );
  return journal;
}

/** A swap done, which can still be undone or made final. */
interface DoneSwap {
  target: string;
  undo(): Promise<void>;
  finish(): Promise<void>;
}

/**
 * Puts every staged tree in place of its target. If one swap fails, the ones already done
 * are undone, so the targets are all old or all new, and the error says which target failed.
 * The old contents are removed only once every swap succeeded.
 */
export async function swapAll(plans: SwapPlan[], fs: SwapFs = fsp): Promise<void> {
  const done: DoneSwap[] = [];
  try {
    for (const plan of plans) done.push(plan.inPlace ? await swapContents(plan, fs) : await swapDirectory(plan, fs));
  } catch (err) {
    for (const d of done.reverse())
      await d.undo().catch((undoErr: unknown) => Promise.reject(incomplete(d.target, err, undoErr)));
    throw err;
  }
  for (const d of done) await d.finish();
}

/**
 * The swap failed and so did putting the old state back: the target is half old, half new.
 * Its journal and directories stay, so the next restore into it, or the agent's next start,
 * finishes the undo.
 */
function incomplete(target: string, failure: unknown, undoErr: unknown): BackupEngineError {
  const why = (failure as NodeJS.ErrnoException).code ?? (failure as Error).message;
  return new BackupEngineError(
    BackupErrorCode.RestoreIncomplete,
    `the restore into ${target} failed (${why}) and putting the old state back failed too (${(undoErr as Error).message}): ${target} is half restored. Its journal is kept: the next restore into it, or the agent's next start, puts the old state back. Do not start the app on it before.`,
    { cause: failure },
  );
}

async function swapDirectory(plan: SwapPlan, fs: SwapFs): Promise<DoneSwap> {
  const { target, staging, old } = plan;
  const existed = (await fs.lstat(target).catch(() => undefined)) !== undefined;
  if (existed && plan.exclusive) throw appeared(target);
  const journalPath = join(dirname(target), `${siblingPrefix(target)}swap-${randomBytes(4).toString('hex')}.json`);
  const journal: SiblingJournal = { state: 'exchanging', staging: basename(staging), old: basename(old), existed };
  const writeJournal = (state: SiblingJournal['state']) => writeJournalFile(fs, journalPath, { ...journal, state });
  // first: from here on a kill is finished (or undone) by the next restore or the agent's next start
  await writeJournal('exchanging').catch((err: unknown) => Promise.reject(swapError(target, err)));
  if (existed)
    await fs.rename(target, old).catch(async (err: unknown) => {
      await fs.rm(journalPath, { force: true });
      return Promise.reject(swapError(target, err));
    });
  try {
    await fs.rename(staging, target);
  } catch (err) {
    if (existed) {
      await writeJournal('undoing');
      await fs.rename(old, target);
    }
    await fs.rm(journalPath, { force: true });
    throw swapError(target, err);
  }
  return {
    target,
    undo: async () => {
      await writeJournal('undoing');
      await fs.rename(target, staging);
      if (existed) await fs.rename(old, target);
      await fs.rm(journalPath, { force: true });
    },
    finish: async () => {
      if (existed) await fs.rm(old, { recursive: true, force: true });
      await fs.rm(journalPath, { force: true });
    },
  };
}

async function swapContents(plan: SwapPlan, fs: SwapFs): Promise<DoneSwap> {
  const { target, staging, old } = plan;
  const before = await fs.lstat(target);
  const journalPath = journalPathOf(plan);
  const journal: SwapJournal = {
    state: 'exchanging',
    modeBefore: before.mode & 0o7777,
    staging: basename(staging),
    old: basename(old),
    aside: (await fs.readdir(target)).filter((name) => !isReserved(name)),
    in: (await fs.readdir(staging)).filter((name) => !isReserved(name)), // a backup never holds them; an old one might: left in staging, removed with it
    ...(plan.rootMode !== undefined && { rootMode: plan.rootMode }),
  };
  if (plan.exclusive && journal.aside.length > 0) throw appeared(target);
  const writeJournal = (state: SwapJournal['state']) => writeJournalFile(fs, journalPath, { ...journal, state });
  const moved: string[] = [];
  const placed: string[] = [];
  const cleanUp = async () => {
    await writeJournal('done'); // from here on a crash only leaves work directories to remove
    await fs.rm(old, { recursive: true, force: true });
    await fs.rm(staging, { recursive: true, force: true });
    await fs.rm(journalPath, { force: true });
  };
  const undo = async () => {
    await writeJournal('undoing');
    for (const name of placed.reverse()) await fs.rename(join(target, name), join(staging, name));
    for (const name of moved.reverse()) await fs.rename(join(old, name), join(target, name));
    await fs.chmod(target, before.mode & 0o7777);
    await writeJournal('done');
    await fs.rm(old, { recursive: true, force: true });
    await fs.rm(journalPath, { force: true });
  };
  try {
    await writeJournal('exchanging'); // first: a crash from here on is finished by the next restore
    await fs.mkdir(old, { mode: 0o700 });
    for (const name of journal.aside) {
      await fs.rename(join(target, name), join(old, name));
      moved.push(name);
    }
    for (const name of journal.in) {
      await fs.rename(join(staging, name), join(target, name));
      placed.push(name);
    }
    if (plan.rootMode !== undefined) await fs.chmod(target, plan.rootMode);
  } catch (err) {
    await undo().catch((undoErr: unknown) => Promise.reject(incomplete(target, err, undoErr)));
    throw swapError(target, err);
  }
  return { target, undo, finish: cleanUp };
}

/** An exclusive target that was empty when planned holds something now: nothing is moved aside. */
function appeared(target: string): BackupEngineError {
  return new BackupEngineError(
    BackupErrorCode.RestoreTargetNotEmpty,
    `refusing to restore into ${target}: something was put there while the restore ran, and a restore with --to never replaces or deletes what is there. Nothing in ${target} was changed; restore again into an empty directory.`,
  );
}

function swapError(target: string, cause: unknown): BackupEngineError {
  const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
  const why =
    code === 'EBUSY' || code === 'EXDEV'
      ? 'it or its parent is on another filesystem'
      : 'it or its parent directory may not be writable';
  return new BackupEngineError(
    BackupErrorCode.SwapFailed,
    `could not move the restored tree into ${target} (${code}): ${why}. No files were replaced; restore into another directory with --to and copy the files over.`,
    { cause },
  );
}
