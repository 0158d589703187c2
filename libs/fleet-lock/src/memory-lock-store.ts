import { systemLockClock, type LockClock } from './lock-clock';
import type { StoredLockEntry } from './lock-entry';
import type { LockStore, WriteResult } from './lock-store';

/** A fault the next call of an operation suffers. */
export type LockStoreFault =
  /** The request times out and nothing is stored. */
  | 'lost'
  /** The write is stored but its answer is lost (the ambiguous case). */
  | 'stored-but-lost'
  /** The request never answers (until `resumeHung()`), then reports a timeout; nothing is stored. */
  | 'hang';

type Op = 'create' | 'update' | 'remove' | 'get';

/**
 * An in-memory LockStore with the semantics of a `history: 1` JetStream KV bucket:
 * one growing sequence for all writes, compare-and-swap on the key's last revision,
 * delete markers, and entries that vanish `ttlMs` after their last write (by the clock).
 * For unit specs of the lock and of its users (e.g. the conductor), with fault injection.
 */
export class MemoryLockStore implements LockStore {
  /** When true every call fails as if NATS were unreachable. */
  down = false;
  private seq = 0;
  private readonly entries = new Map<string, { entry: StoredLockEntry; storedAt: number }>();
  private readonly faults: Record<Op, LockStoreFault[]> = { create: [], update: [], remove: [], get: [] };
  private readonly hung: Array<() => void> = [];

  constructor(private readonly options: { ttlMs?: number; clock?: LockClock } = {}) {}

  /** Makes the next call of `op` suffer `fault`. */
  failNext(op: Op, fault: LockStoreFault = 'lost'): void {
    this.faults[op].push(fault);
  }

  /** Lets every hung call finish (with a timeout error, nothing stored). */
  resumeHung(): void {
    for (const resolve of this.hung.splice(0)) resolve();
  }

  /** Last sequence used (like the stream's last_seq). */
  get lastSequence(): number {
    return this.seq;
  }

  async create(key: string, value: string): Promise<WriteResult> {
    return this.write('create', () => {
      const cur = this.current(key);
      if (cur?.operation === 'PUT')
        return { status: 'conflict', error: new Error(`wrong last sequence: ${cur.revision}`) };
      return { status: 'ok', revision: this.store(key, 'PUT', value) };
    });
  }

  async update(key: string, value: string, expectedRevision: number): Promise<WriteResult> {
    return this.write('update', () => this.cas(key, expectedRevision, () => this.store(key, 'PUT', value)));
  }

  async remove(key: string, expectedRevision: number): Promise<WriteResult> {
    return this.write('remove', () => this.cas(key, expectedRevision, () => (this.store(key, 'DEL', ''), 0)));
  }

  async get(key: string): Promise<StoredLockEntry | undefined> {
    const fault = this.faults.get.shift();
    if (this.down || fault) {
      if (fault === 'hang') await new Promise<void>((r) => this.hung.push(r));
      throw new Error('TIMEOUT');
    }
    return this.current(key);
  }

  keys(): Promise<string[]> {
    if (this.down) return Promise.reject(new Error('TIMEOUT'));
    return Promise.resolve([...this.entries.keys()].filter((k) => this.current(k)?.operation === 'PUT'));
  }

  private async write(op: Op, apply: () => WriteResult): Promise<WriteResult> {
    const fault = this.faults[op].shift();
    const timeout = { status: 'unknown', error: new Error('TIMEOUT') } as const;
    if (this.down) return timeout;
    if (fault === 'lost') return timeout;
    if (fault === 'hang') {
      await new Promise<void>((r) => this.hung.push(r));
      return timeout;
    }
    const result = apply();
    return fault === 'stored-but-lost' ? timeout : result;
  }

  private cas(key: string, expected: number, write: () => number): WriteResult {
    const last = this.current(key)?.revision ?? 0;
    if (last !== expected) return { status: 'conflict', error: new Error(`wrong last sequence: ${last}`) };
    return { status: 'ok', revision: write() };
  }

  private current(key: string): StoredLockEntry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.options.ttlMs !== undefined && this.now() - e.storedAt >= this.options.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.entry;
  }

  private store(key: string, operation: 'PUT' | 'DEL', value: string): number {
    const revision = ++this.seq;
    const storedAt = this.now();
    this.entries.set(key, { entry: { key, revision, operation, value, created: new Date(storedAt) }, storedAt });
    return revision;
  }

  private now(): number {
    return (this.options.clock ?? systemLockClock).now().wall;
  }
}
