import { z } from 'zod';
import { readJsonFile, writeJsonDurably } from '../support/durable-file';

const FencingFile = z.object({
  format: z.literal('lockstep-fencing/v1'),
  highest: z.record(z.string(), z.number().int().nonnegative()),
});

/**
 * The fence: the highest fencing token per lock key of the holders whose commands this node
 * admitted, persisted (fsync'd) in the agent directory before the agent acts on a command. It
 * is raised only for an admitted command and never above the live holder's token (see
 * CommandAdmission), so a live token below it means the lock bucket was recreated.
 */
export class FencingStore {
  private highest = new Map<string, number>();
  /** Writes one after another, so concurrent raises never lose one another's key. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string) {}

  /** Loads the store from `path` (an absent file is an empty store; a damaged one is an error). */
  static async open(path: string): Promise<FencingStore> {
    const store = new FencingStore(path);
    const raw = await readJsonFile<unknown>(path);
    if (raw !== undefined) {
      const parsed = FencingFile.safeParse(raw);
      if (!parsed.success)
        throw new Error(
          `fencing store ${path} is damaged (${parsed.error.issues[0]?.message}); restore it or remove it only if no older lock holder can still send commands`,
        );
      store.highest = new Map(Object.entries(parsed.data.highest));
    }
    return store;
  }

  /** Highest token seen for `lockKey` (0 when none). */
  highestFor(lockKey: string): number {
    return this.highest.get(lockKey) ?? 0;
  }

  /**
   * Records `token` as the highest seen for `lockKey` when it is higher than that (persisted
   * before it resolves; the in-memory value moves only once it is on disk). Never lowers it.
   */
  async raise(lockKey: string, token: number): Promise<void> {
    const write = this.writing.then(async () => {
      if (token <= this.highestFor(lockKey)) return;
      const next = new Map(this.highest).set(lockKey, token);
      await writeJsonDurably(this.path, { format: 'lockstep-fencing/v1', highest: Object.fromEntries(next) });
      this.highest = next;
    });
    this.writing = write.catch(() => undefined);
    await write;
  }
}
