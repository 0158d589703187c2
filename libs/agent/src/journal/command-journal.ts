import { formatIssue, InstallCommandV1, InstallFinishedV1, InstallSteps } from '@lockstep/contracts';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { readJsonFile, writeJsonDurably } from '../support/durable-file';

/** One command as the agent journals it: what was asked, how far it got, how it ended. */
export const JournalEntry = z.object({
  commandId: z.string().min(1),
  command: InstallCommandV1,
  /** JetStream sequence of the message that carried it (part of the finished event's id). */
  messageSeq: z.number().int().nonnegative(),
  /**
   * Random secret drawn when the command is journaled, part of the ids of what it publishes
   * (its finished event, its pre-update backup): ids another node cannot guess, so it cannot
   * take them first in JetStream's duplicate window, and the same on every replay. Absent in
   * entries an older agent journaled.
   */
  nonce: z.string().min(1).optional(),
  status: z.enum(['running', 'finished']),
  /** Last step started. */
  step: z.enum(InstallSteps).optional(),
  /** Version `current` pointed at when the command started (null: none). */
  previousVersion: z.string().nullable(),
  /** Written just before `current` is swapped; recovery compares it with the symlink. */
  swap: z.object({ from: z.string().nullable(), to: z.string() }).optional(),
  /** True once the agent started putting the previous release back. */
  rollingBack: z.boolean().default(false),
  /** The failure that started a rollback, to report once it is done. */
  failure: z.object({ step: z.enum(InstallSteps), error: z.string() }).optional(),
  /** Set before config migration: where the old shared/config.json is copied, and whether there was one. */
  config: z.object({ backup: z.string(), hadConfig: z.boolean() }).optional(),
  /** The pre-update backup, once taken. */
  backupId: z.string().optional(),
  /** The backup restored before the swap (rollback --restore-data), once restored. */
  restoredBackupId: z.string().optional(),
  outcome: InstallFinishedV1.optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

const JournalFile = z.object({
  format: z.literal('lockstep-journal/v1'),
  /** Highest stream sequence of a command message this node has acted on or answered. */
  highestSeq: z.number().int().nonnegative().default(0),
  entries: z.array(JournalEntry),
});

/** How many finished entries the journal keeps by default (oldest dropped first). */
export const JOURNAL_CAPACITY = 500;

/**
 * The agent's command journal: commandId → progress and outcome, rewritten atomically and
 * fsync'd on every change. It makes commands idempotent (a redelivered command replays its
 * recorded outcome) and lets a restarted agent finish what a killed one started.
 */
export class CommandJournal {
  private entries = new Map<string, JournalEntry>();
  private highest = 0;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly clock: () => Date,
    private readonly capacity: number,
  ) {}

  /** Loads the journal (an absent file is empty; a damaged one is an error naming the file). */
  static async open(path: string, options: { clock?: () => Date; capacity?: number } = {}): Promise<CommandJournal> {
    const journal = new CommandJournal(path, options.clock ?? (() => new Date()), options.capacity ?? JOURNAL_CAPACITY);
    const raw = await readJsonFile<unknown>(path);
    if (raw !== undefined) {
      const parsed = JournalFile.safeParse(raw);
      if (!parsed.success) {
        throw new Error(
          `command journal ${path} is damaged (${formatIssue(parsed.error.issues[0])}); move it aside and check the node's current release by hand`,
        );
      }
      // An unfinished entry of an older agent gets its nonce now: nothing was published under
      // it yet, and the entry is written (with it) before its outcome is.
      for (const e of parsed.data.entries)
        journal.entries.set(e.commandId, e.status === 'running' && !e.nonce ? { ...e, nonce: newNonce() } : e);
      journal.highest = parsed.data.highestSeq;
    }
    return journal;
  }

  get(commandId: string): JournalEntry | undefined {
    return this.entries.get(commandId);
  }

  /**
   * Highest stream sequence of a command message recorded so far. Commands for one node are
   * ordered in the stream, so an unknown command below it is older than one already handled.
   */
  get highestSeq(): number {
    return this.highest;
  }

  /** The nonce of the command whose pre-update backup is `backupId` (undefined: none journaled). */
  nonceOfBackup(backupId: string): string | undefined {
    for (const e of this.entries.values()) if (e.backupId === backupId) return e.nonce;
    return undefined;
  }

  /** Entries of commands that were started and never finished (the agent died meanwhile). */
  unfinished(): JournalEntry[] {
    return [...this.entries.values()].filter((e) => e.status === 'running');
  }

  /** Records that a command starts; persisted before the agent acts on it. */
  async begin(init: Pick<JournalEntry, 'command' | 'messageSeq' | 'previousVersion'>): Promise<JournalEntry> {
    const now = this.clock().toISOString();
    const entry: JournalEntry = {
      ...init,
      commandId: init.command.commandId,
      nonce: newNonce(),
      status: 'running',
      rollingBack: false,
      startedAt: now,
      updatedAt: now,
    };
    return this.put(entry);
  }

  /** Updates a running entry (step, swap intent, rollback marker…). */
  async update(
    commandId: string,
    patch: Partial<Omit<JournalEntry, 'commandId' | 'command' | 'nonce' | 'status' | 'outcome'>>,
  ): Promise<JournalEntry> {
    const entry = this.require(commandId);
    return this.put({ ...entry, ...patch, updatedAt: this.clock().toISOString() });
  }

  /**
   * Records a command's outcome. For a command that never began (rejected, replayed
   * elsewhere) pass `init` to create the entry at the same time.
   */
  async finish(
    commandId: string,
    outcome: InstallFinishedV1,
    init?: Pick<JournalEntry, 'command' | 'messageSeq' | 'previousVersion'>,
  ): Promise<JournalEntry> {
    const now = this.clock().toISOString();
    const base =
      this.entries.get(commandId) ??
      (init
        ? {
            ...init,
            commandId,
            nonce: newNonce(),
            status: 'running' as const,
            rollingBack: false,
            startedAt: now,
            updatedAt: now,
          }
        : this.require(commandId));
    return this.put({ ...base, status: 'finished', outcome, updatedAt: now });
  }

  private require(commandId: string): JournalEntry {
    const entry = this.entries.get(commandId);
    if (!entry) throw new Error(`command ${commandId} is not in the journal`);
    return entry;
  }

  private async put(entry: JournalEntry): Promise<JournalEntry> {
    const next = new Map(this.entries);
    next.delete(entry.commandId);
    next.set(entry.commandId, entry);
    const finished = [...next.values()].filter((e) => e.status === 'finished');
    for (const old of finished.slice(0, Math.max(0, finished.length - this.capacity))) next.delete(old.commandId);
    const highest = Math.max(this.highest, entry.messageSeq);
    const write = this.writing.then(() =>
      writeJsonDurably(this.path, { format: 'lockstep-journal/v1', highestSeq: highest, entries: [...next.values()] }),
    );
    this.writing = write.catch(() => undefined);
    await write;
    this.entries = next;
    this.highest = highest;
    return entry;
  }
}

/** A fresh nonce: 128 random bits, URL-safe (fits an event id and a backup id). */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}
