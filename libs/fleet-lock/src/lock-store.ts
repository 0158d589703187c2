import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import type { StoredLockEntry } from './lock-entry';

/**
 * Outcome of a conditional write. `unknown` is the dangerous one: the request timed out
 * or the connection dropped, so the write may still have been (or later be) stored. It
 * must never be taken for success; a lease resolves it by reading the entry back.
 */
export type WriteResult =
  | { status: 'ok'; /** Revision of the stored write (0 for deletes: nats.js does not return it). */ revision: number }
  | { status: 'conflict'; /** The key is not at the expected revision (server answered 10071). */ error: Error }
  | { status: 'unknown'; error: Error };

/** The compare-and-swap storage a lock needs; a JetStream KV bucket in production, a fake in unit specs. */
export interface LockStore {
  /** Writes only when the key has no live value (absent, deleted, purged or expired). */
  create(key: string, value: string): Promise<WriteResult>;
  /** Writes only when the key's latest revision is `expectedRevision`. */
  update(key: string, value: string, expectedRevision: number): Promise<WriteResult>;
  /** Places a delete marker only when the key's latest revision is `expectedRevision`. */
  remove(key: string, expectedRevision: number): Promise<WriteResult>;
  /** Latest entry of a key (live or marker), undefined when none; rejects when the server cannot be asked. */
  get(key: string): Promise<StoredLockEntry | undefined>;
  /** Keys with a live value. */
  keys(): Promise<string[]>;
}

/** LockStore over a nats.js KV bucket. */
export class KvLockStore implements LockStore {
  constructor(
    private readonly kv: KV,
    /** Per-request timeout (ms) for conditional writes. */
    private readonly timeoutMs: number,
  ) {}

  create(key: string, value: string): Promise<WriteResult> {
    // nats.js create: put with expected-last-subject-sequence 0, and when the key holds a
    // delete/purge marker, a second put expecting that marker's revision.
    return settle(this.kv.create(key, value));
  }

  update(key: string, value: string, expectedRevision: number): Promise<WriteResult> {
    return settle(this.kv.update(key, value, expectedRevision, this.timeoutMs));
  }

  remove(key: string, expectedRevision: number): Promise<WriteResult> {
    return settle(this.kv.delete(key, { previousSeq: expectedRevision }).then(() => 0));
  }

  async get(key: string): Promise<StoredLockEntry | undefined> {
    const e = await this.kv.get(key);
    return e ? fromKvEntry(e) : undefined;
  }

  async keys(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys()) out.push(k);
    return out;
  }
}

/** True when JetStream refused a write because the subject is not at the expected sequence. */
export function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

async function settle(write: Promise<number>): Promise<WriteResult> {
  try {
    return { status: 'ok', revision: await write };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    return isWrongLastSequence(err) ? { status: 'conflict', error } : { status: 'unknown', error };
  }
}

function fromKvEntry(e: KvEntry): StoredLockEntry {
  return {
    key: e.key,
    revision: e.revision,
    operation: e.operation,
    value: e.operation === 'PUT' ? e.string() : '',
    created: e.created,
  };
}
