import { z } from 'zod';
import { readJsonFile, writeJsonDurably } from '../support/durable-file';

const FencingFile = z.object({ format: z.literal('lockstep-fencing/v1'), highest: z.record(z.string(), z.number().int().nonnegative()) });

/** Verdict on one command's fencing token. */
export type FencingVerdict = { admitted: true } | { admitted: false; highest: number };

/**
 * The highest fencing token this node has seen per lock key, persisted (fsync'd) in the agent
 * directory before the agent acts on a command carrying it. A command with a lower token comes
 * from a lock holder that has since been replaced, and is refused. Equal tokens are the same
 * holder and are admitted.
 */
export class FencingStore {
  private highest = new Map<string, number>();

  private constructor(private readonly path: string) {}

  /** Loads the store from `path` (an absent file is an empty store; a damaged one is an error). */
  static async open(path: string): Promise<FencingStore> {
    const store = new FencingStore(path);
    const raw = await readJsonFile<unknown>(path);
    if (raw !== undefined) {
      const parsed = FencingFile.safeParse(raw);
      if (!parsed.success) throw new Error(`fencing store ${path} is damaged (${parsed.error.issues[0]?.message}); restore it or remove it only if no older lock holder can still send commands`);
      store.highest = new Map(Object.entries(parsed.data.highest));
    }
    return store;
  }

  /** Highest token seen for `lockKey` (0 when none). */
  highestFor(lockKey: string): number {
    return this.highest.get(lockKey) ?? 0;
  }

  /**
   * Admits `token` when it is at least the highest seen for `lockKey`, raising (and persisting)
   * the highest first; refuses it otherwise.
   */
  async admit(lockKey: string, token: number): Promise<FencingVerdict> {
    const highest = this.highestFor(lockKey);
    if (token < highest) return { admitted: false, highest };
    if (token > highest) {
      const next = new Map(this.highest).set(lockKey, token);
      await writeJsonDurably(this.path, { format: 'lockstep-fencing/v1', highest: Object.fromEntries(next) });
      this.highest = next;
    }
    return { admitted: true };
  }
}
