import * as fsp from 'node:fs/promises';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { BackupEngineError, BackupErrorCode } from './errors';
import { finishInterruptedRestores, planSwap, swapAll, type SwapFs, type SwapPlan } from './restore-swap';

/** node:fs/promises, except that the `failAt`-th rename (1-based) fails with EXDEV. */
function failingRename(failAt: number): SwapFs {
  let renames = 0;
  return {
    ...fsp,
    rename: async (from, to) => {
      if (++renames === failAt)
        throw Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${String(from)}'`), {
          code: 'EXDEV',
        });
      return fsp.rename(from, to);
    },
  };
}

/**
 * node:fs/promises with faults: the `failRenameAt`-th rename fails with EXDEV (an ordinary
 * error the swap handles), and after the `crashAt`-th call that changes anything every
 * call fails, as if the process had died there. `changes` counts those calls.
 */
function faults(options: { failRenameAt?: number; crashAt?: number }): SwapFs & { changes: () => number } {
  let renames = 0;
  let changes = 0;
  let dead = false;
  const alive =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (dead) throw new Error('process is gone');
      return f(...args);
    };
  const change =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (dead) throw new Error('process is gone');
      const result = await f(...args);
      if (++changes === options.crashAt) dead = true;
      return result;
    };
  return {
    lstat: alive(fsp.lstat) as SwapFs['lstat'],
    readdir: alive(fsp.readdir) as SwapFs['readdir'],
    readFile: alive(fsp.readFile) as SwapFs['readFile'],
    chmod: change(fsp.chmod),
    mkdir: change(fsp.mkdir) as SwapFs['mkdir'],
    rm: change(fsp.rm),
    writeFile: change(fsp.writeFile),
    rename: change(async (from, to) => {
      if (++renames === options.failRenameAt)
        throw Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${String(from)}'`), {
          code: 'EXDEV',
        });
      return fsp.rename(from, to);
    }),
    changes: () => changes,
  };
}

/** node:fs/promises, except that `target`'s parent seems to be on another device: the target looks like a mount point. */
const asMountPoint = (target: string): SwapFs => ({
  ...fsp,
  lstat: (async (p: string) =>
    p === dirname(target) ? Object.assign(await fsp.lstat(p), { dev: -1 }) : fsp.lstat(p)) as SwapFs['lstat'],
});

/** Every file under `dir` with its text, paths relative. */
async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out[path.slice(dir.length + 1)] = await readFile(path, 'utf8');
  }
  return out;
}

describe('restore swap', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'lockstep-swap-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** A target holding old.txt and sub/keep.txt, and a filled staging directory as the restorer leaves it before the swap. */
  async function prepare(plan: SwapPlan): Promise<void> {
    await mkdir(join(plan.target, 'sub'), { recursive: true });
    await writeFile(join(plan.target, 'old.txt'), 'old');
    await writeFile(join(plan.target, 'sub/keep.txt'), 'old sub');
    await mkdir(join(plan.staging, 'sub'), { recursive: true, mode: 0o700 });
    await writeFile(join(plan.staging, 'new.txt'), 'new');
    await writeFile(join(plan.staging, 'sub/other.txt'), 'new sub');
  }

  const inPlace = (target: string, rootMode?: number): SwapPlan => ({
    target,
    staging: join(target, '.lockstep-restore-t'),
    old: join(target, '.lockstep-old-t'),
    inPlace: true,
    rootMode,
  });

  it('plans a sibling swap for an ordinary directory and for a missing target', async () => {
    await mkdir(join(work, 'app'));

    const existing = await planSwap(join(work, 'app'), 0o750);
    const missing = await planSwap(join(work, 'nothing'), undefined);

    expect(existing).toMatchObject({ target: join(work, 'app'), inPlace: false, rootMode: 0o750 });
    expect(existing.staging).toMatch(new RegExp(`^${work}/\\.app\\.restore-[0-9a-f]{8}$`));
    expect(existing.old).toMatch(new RegExp(`^${work}/\\.app\\.old-[0-9a-f]{8}$`));
    expect(missing.inPlace).toBe(false);
  });

  it('plans an in-place swap for a filesystem root (its own parent)', async () => {
    const plan = await planSwap('/', undefined, { ...fsp, readdir: async () => [] as never });

    expect(plan).toMatchObject({ target: '/', inPlace: true });
    expect(plan.staging).toMatch(/^\/\.lockstep-restore-[0-9a-f]{8}$/);
  });

  it('fills a target in place: old entries replaced, the directory itself kept, its mode from the backup', async () => {
    const target = join(work, 'mnt');
    const plan = inPlace(target, 0o751);
    await prepare(plan);
    const inode = (await stat(target)).ino;

    await swapAll([plan]);

    expect(await contents(target)).toEqual({ 'new.txt': 'new', 'sub/other.txt': 'new sub' });
    expect((await readdir(target)).sort()).toEqual(['new.txt', 'sub']);
    expect((await stat(target)).ino).toBe(inode);
    expect((await stat(target)).mode & 0o7777).toBe(0o751);
  });

  // renames: the journal's (1), the two old entries aside (2, 3), the new ones in (4, 5)
  it.each([
    ['moving an old entry aside', 2],
    ['moving a new entry in', 4],
  ])('leaves the old target whole when %s fails, and says which target', async (_what, failAt) => {
    const target = join(work, 'mnt');
    const plan = inPlace(target, 0o700);
    await prepare(plan);
    const mode = (await stat(target)).mode & 0o7777;

    const err = await swapAll([plan], failingRename(failAt)).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(BackupEngineError);
    expect((err as BackupEngineError).code).toBe(BackupErrorCode.SwapFailed);
    expect((err as Error).message).toContain(target);
    expect(await contents(target)).toEqual({
      'old.txt': 'old',
      'sub/keep.txt': 'old sub',
      '.lockstep-restore-t/new.txt': 'new',
      '.lockstep-restore-t/sub/other.txt': 'new sub',
    });
    expect((await stat(target)).mode & 0o7777).toBe(mode);
  });

  it('undoes an in-place swap already done when a later target fails, so all targets stay old', async () => {
    const first = join(work, 'mnt');
    const firstPlan = inPlace(first);
    await prepare(firstPlan);
    const second = join(work, 'app');
    const secondPlan: SwapPlan = {
      target: second,
      staging: join(work, '.app.restore-t'),
      old: join(work, '.app.old-t'),
      inPlace: false,
    };
    await prepare(secondPlan);
    // renames: the journal, 2 old entries aside and 2 new in (first target), then the second target aside, then its staging in: fail that one
    const err = await swapAll([firstPlan, secondPlan], failingRename(7)).catch((e: unknown) => e);

    expect((err as BackupEngineError).code).toBe(BackupErrorCode.SwapFailed);
    expect(await contents(first)).toEqual({
      'old.txt': 'old',
      'sub/keep.txt': 'old sub',
      '.lockstep-restore-t/new.txt': 'new',
      '.lockstep-restore-t/sub/other.txt': 'new sub',
    });
    expect(await contents(second)).toEqual({ 'old.txt': 'old', 'sub/keep.txt': 'old sub' });
  });

  const OLD = { 'old.txt': 'old', 'sub/keep.txt': 'old sub' };
  const NEW = { 'new.txt': 'new', 'sub/other.txt': 'new sub' };
  /** How many changes a swap of `plans` makes (none crashing); a crash test then cuts it off after each. */
  const changesOf = async (plans: SwapPlan[]): Promise<number> => {
    const counter = faults({});
    await swapAll(plans, counter).catch(() => undefined);
    return counter.changes();
  };

  it('leaves the target whole (old or new, never a mix) whatever step of an in-place exchange a crash cuts off', async () => {
    await prepare(inPlace(join(work, 'dry')));
    const steps = await changesOf([inPlace(join(work, 'dry'))]);
    expect(steps).toBeGreaterThanOrEqual(8);

    const seen = new Set<string>();
    for (let crashAt = 1; crashAt <= steps; crashAt++) {
      const target = join(work, `mnt-${crashAt}`);
      await prepare(inPlace(target, 0o751));
      await mkdir(join(target, '.lockstep-restore-killedwhilewriting'));

      await swapAll([inPlace(target, 0o751)], faults({ crashAt })).catch(() => undefined);
      await planSwap(target, undefined, asMountPoint(target));

      const after = await contents(target);
      expect(after).toEqual(crashAt === 1 ? OLD : NEW);
      expect((await readdir(target)).filter((n) => n.startsWith('.lockstep-'))).toEqual([]);
      seen.add(JSON.stringify(after) === JSON.stringify(NEW) ? 'new' : 'old');
    }
    // the journal is written first (whole: a temp file renamed over it): cut off before that rename the exchange never began, after it every one is finished
    expect(seen).toEqual(new Set(['old', 'new']));
  });

  it('leaves the old target whole whatever step of the undo of a failed exchange a crash cuts off', async () => {
    const dry = join(work, 'dry');
    await prepare(inPlace(dry));
    const counter = faults({ failRenameAt: 4 });
    await expect(swapAll([inPlace(dry)], counter)).rejects.toThrow(/EXDEV/);
    const steps = counter.changes();

    // changes before the undo is journaled: the journal (written, renamed), the old directory, the two old entries moved aside
    // (the fourth rename, the first new entry in, fails), the 'undoing' journal written; a crash before its rename finishes the exchange instead
    const undoFrom = 7;
    for (let crashAt = undoFrom; crashAt <= steps; crashAt++) {
      const target = join(work, `mnt-${crashAt}`);
      await prepare(inPlace(target));

      await swapAll([inPlace(target, 0o751)], faults({ failRenameAt: 4, crashAt })).catch(() => undefined);
      await planSwap(target, undefined, asMountPoint(target));

      expect(await contents(target)).toEqual(OLD);
      expect((await readdir(target)).filter((n) => n.startsWith('.lockstep-'))).toEqual([]);
      expect((await stat(target)).mode & 0o7777).toBe(0o755); // its own mode back, not the backup's
    }
    expect(steps).toBeGreaterThan(undoFrom + 3);
  });

  it('says the target is half restored, and keeps its journal and staging, when putting the old state back fails too', async () => {
    const target = join(work, 'mnt');
    const plan = inPlace(target);
    await prepare(plan);

    const err = await swapAll([plan], faults({ failRenameAt: 4, crashAt: 8 })).catch((e: unknown) => e);

    expect((err as BackupEngineError).code).toBe(BackupErrorCode.RestoreIncomplete);
    expect((err as Error).message).toBe(
      `the restore into ${target} failed (EXDEV) and putting the old state back failed too (process is gone): ${target} is half restored. Its journal is kept: the next restore into it, or the agent's next start, puts the old state back. Do not start the app on it before.`,
    );
    expect((await readdir(target)).filter((n) => n.startsWith('.lockstep-')).sort()).toEqual([
      '.lockstep-old-t',
      '.lockstep-restore-t',
      '.lockstep-swap-t.json',
    ]);
  });

  it('refuses a journal naming anything but plain entries of the target, moving nothing', async () => {
    const target = join(work, 'mnt');
    await mkdir(join(target, '.lockstep-old-x'), { recursive: true });
    await mkdir(join(target, '.lockstep-restore-x'), { recursive: true });
    await writeFile(join(target, 'data.txt'), 'live');
    await writeFile(
      join(target, '.lockstep-swap-x.json'),
      JSON.stringify({
        state: 'exchanging',
        staging: '.lockstep-restore-x',
        old: '.lockstep-old-x',
        aside: ['../../etc'],
        in: [],
      }),
    );

    const err = await planSwap(target, undefined, asMountPoint(target)).catch((e: unknown) => e);

    expect((err as BackupEngineError).code).toBe(BackupErrorCode.SwapFailed);
    expect((err as Error).message).toMatch(/is not a journal this version of Lockstep wrote/);
    expect(await readFile(join(target, 'data.txt'), 'utf8')).toBe('live');
  });

  it('refuses to plan over old entries an interrupted swap left without a journal, naming them', async () => {
    const target = join(work, 'mnt');
    await mkdir(join(target, '.lockstep-old-0badc0de'), { recursive: true });
    await writeFile(join(target, '.lockstep-old-0badc0de', 'data.txt'), 'from before that restore');
    await mkdir(join(target, '.lockstep-old-empty'));

    const err = await planSwap(target, undefined, asMountPoint(target)).catch((e: unknown) => e);

    expect((err as BackupEngineError).code).toBe(BackupErrorCode.SwapFailed);
    expect((err as Error).message).toContain(join(target, '.lockstep-old-0badc0de'));
    expect((await readdir(target)).sort()).toEqual(['.lockstep-old-0badc0de']); // an empty one is just removed
  });

  const sibling = (target: string): SwapPlan => ({
    target,
    staging: join(dirname(target), `.${basename(target)}.restore-t`),
    old: join(dirname(target), `.${basename(target)}.old-t`),
    inPlace: false,
  });
  /** Names the swaps of `target` left beside it. */
  const leftBeside = async (target: string) =>
    (await readdir(dirname(target))).filter((n) => n.startsWith(`.${basename(target)}.`));

  it('leaves the target whole (old or new, never missing) whatever step of a sibling swap a crash cuts off', async () => {
    await prepare(sibling(join(work, 'dry')));
    const steps = await changesOf([sibling(join(work, 'dry'))]);

    const outcomes: string[] = [];
    for (let crashAt = 1; crashAt <= steps; crashAt++) {
      const target = join(work, `app-${crashAt}`);
      await prepare(sibling(target));
      await swapAll([sibling(target)], faults({ crashAt })).catch(() => undefined);

      await finishInterruptedRestores(target);

      const after = await contents(target);
      outcomes.push(JSON.stringify(after) === JSON.stringify(NEW) ? 'new' : 'old');
      expect([OLD, NEW]).toContainEqual(after);
      expect(await leftBeside(target)).toEqual([]);
    }
    // the journal is written whole first: a crash before its rename leaves the old tree, any later one the new
    expect(outcomes).toEqual(['old', ...Array<string>(steps - 1).fill('new')]);
  });

  it('puts the old target back whatever step of the undo of a sibling swap a crash cuts off', async () => {
    const first = (n: string) => sibling(join(work, `app-${n}`));
    // the second target's swap fails at once (its staging is missing), so the first one's is undone
    const second = (n: string): SwapPlan => ({ ...sibling(join(work, `other-${n}`)), staging: join(work, 'nothing') });
    await prepare(first('dry'));
    await mkdir(second('dry').target);
    const steps = await changesOf([first('dry'), second('dry')]);
    expect(await contents(first('dry').target)).toEqual(OLD);

    for (let crashAt = 1; crashAt <= steps; crashAt++) {
      const plans = [first(String(crashAt)), second(String(crashAt))];
      await prepare(plans[0]);
      await mkdir(plans[1].target);

      await swapAll(plans, faults({ crashAt })).catch(() => undefined);
      await finishInterruptedRestores(plans[0].target);

      expect([OLD, NEW]).toContainEqual(await contents(plans[0].target));
      expect(await leftBeside(plans[0].target)).toEqual([]);
    }
  });

  it('refuses to go on when a sibling swap left the target missing and its old copy aside without a journal, naming it', async () => {
    const target = join(work, 'app');
    await mkdir(join(work, '.app.old-0badc0de'));
    await writeFile(join(work, '.app.old-0badc0de', 'data.txt'), 'from before that restore');

    const err = await finishInterruptedRestores(target).catch((e: unknown) => e);

    expect((err as BackupEngineError).code).toBe(BackupErrorCode.SwapFailed);
    expect((err as Error).message).toContain(`${join(work, '.app.old-0badc0de')}`);
    expect((err as Error).message).toMatch(/rename it back to .*app/);
  });
});
