/**
 * FencingGuard: what an agent runs before acting on a command. It remembers the highest
 * fencing token seen per lock key and refuses lower ones, so a conductor that lost the
 * lock (paused, partitioned) cannot act once a newer holder has reached the agent.
 * Equal tokens are accepted: one lease sends many commands, and JetStream may redeliver.
 */

/** Where the highest accepted token per lock key is kept (a file or table for a real agent). */
export interface FencingStore {
  /** Highest token accepted for the key, undefined when none yet. */
  get(lockKey: string): Promise<number | undefined>;
  /** Records a new highest token; must be durable when it resolves (act only after it). */
  set(lockKey: string, token: number): Promise<void>;
}

/** A FencingStore in memory (tests; agents that accept losing it on restart). */
export class MemoryFencingStore implements FencingStore {
  private readonly tokens = new Map<string, number>();
  async get(lockKey: string): Promise<number | undefined> {
    return this.tokens.get(lockKey);
  }
  async set(lockKey: string, token: number): Promise<void> {
    this.tokens.set(lockKey, token);
  }
}

/** The verdict on one command's token. */
export type FencingDecision =
  | { accepted: true; token: number; /** Highest token known before this one. */ previous: number | undefined }
  | {
      accepted: false;
      token: number;
      /** The newer token that fences this one out. */ highest: number;
      reason: string;
    };

/** Pure rule: accept a token at least as high as the highest seen. */
export function decideFencing(lockKey: string, highest: number | undefined, token: number): FencingDecision {
  if (!Number.isInteger(token) || token <= 0)
    return {
      accepted: false,
      token,
      highest: highest ?? 0,
      reason: `fencing token ${token} for lock ${lockKey} is not a positive integer`,
    };
  if (highest !== undefined && token < highest) {
    return {
      accepted: false,
      token,
      highest,
      reason: `stale fencing token ${token} for lock ${lockKey}: a newer lock holder (token ${highest}) has taken over`,
    };
  }
  return { accepted: true, token, previous: highest };
}

/** Checks and records fencing tokens; checks for one key run one at a time. */
export class FencingGuard {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly store: FencingStore = new MemoryFencingStore()) {}

  /** Accepts the token (recording it when higher) or rejects it as stale. */
  accept(lockKey: string, token: number): Promise<FencingDecision> {
    const run = (this.queues.get(lockKey) ?? Promise.resolve()).then(async () => {
      const highest = await this.store.get(lockKey);
      const decision = decideFencing(lockKey, highest, token);
      if (decision.accepted && (highest === undefined || token > highest)) await this.store.set(lockKey, token);
      return decision;
    });
    const tail = run.catch(() => undefined);
    this.queues.set(lockKey, tail);
    void tail.then(() => {
      if (this.queues.get(lockKey) === tail) this.queues.delete(lockKey);
    });
    return run;
  }

  /** Highest token accepted so far for the key. */
  highest(lockKey: string): Promise<number | undefined> {
    return this.store.get(lockKey);
  }
}
