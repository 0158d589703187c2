/** Steps an engine operation reports progress under. */
export const ProgressStep = {
  /** Backup: the stat pass that sums the file bytes to back up. Prune: reading the remaining manifests. */
  Scan: 'scan',
  /** Backup: reading, chunking and uploading files. */
  Files: 'files',
  /** Backup: byte streams (database dumps), whose size is unknown in advance. */
  Streams: 'streams',
  /** Backup: uploading the last pack and the manifest. Prune: deleting objects. */
  Commit: 'commit',
  /** Verify, and the first half of a restore: reading back every chunk needed. */
  Verify: 'verify',
  /** Restore: writing the tree into the staging directory and swapping it into place. */
  Restore: 'restore',
  /** The operation finished; sent once, with percent 100. */
  Done: 'done',
} as const;
export type ProgressStep = (typeof ProgressStep)[keyof typeof ProgressStep];

/** One progress report of a backup, verify, restore or prune. */
export interface Progress {
  /** What the operation is doing now (a ProgressStep value). */
  step: string;
  /** Share of the whole operation done, 0..100; never decreases; 100 only once it has finished. */
  percent: number;
  /** Bytes done in the current step (plaintext bytes read, checked or written; bytes freed by a prune). */
  bytesDone: number;
  /** Bytes the current step will handle, when known (unknown for streams). */
  bytesTotal?: number;
  /** What is being worked on, e.g. the file or stream path. */
  message?: string;
}

/**
 * Receives progress. Called at most about every 250 ms, plus the first report and the final
 * one (percent 100). Progress is advisory: a listener that throws or rejects is ignored and
 * never fails the operation.
 */
export type ProgressListener = (progress: Progress) => void | Promise<void>;

/** Options shared by operations that report progress. */
export interface ProgressOptions {
  /** Receives progress reports; see ProgressListener. */
  onProgress?: ProgressListener;
}

/** A span of the overall percentage given to one step. */
export interface ProgressPhase {
  /**
   * Reports `bytesDone`; the position inside the span is `bytesDone / bytesTotal` when the
   * phase has a total, otherwise `fraction` (0..1, default 0).
   */
  advance(bytesDone: number, message?: string, fraction?: number): void;
}

const NO_PHASE: ProgressPhase = { advance: () => undefined };

/**
 * Turns an operation's position into throttled, monotonic Progress reports. Percentages
 * below 100 are capped at 99 so that 100 means "finished".
 */
export class ProgressReporter {
  private lastAt = Number.NEGATIVE_INFINITY;
  private percent = 0;
  private sent = 0;

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly intervalMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  /** A phase covering `from`..`to` percent of the operation. */
  phase(step: string, from: number, to: number, bytesTotal?: number): ProgressPhase {
    if (!this.listener) return NO_PHASE;
    return {
      advance: (bytesDone, message, fraction = 0) => {
        const share = bytesTotal !== undefined ? (bytesTotal > 0 ? bytesDone / bytesTotal : 1) : fraction;
        const percent = from + (to - from) * Math.min(1, Math.max(0, share));
        this.emit(
          {
            step,
            percent: Math.min(99, percent),
            bytesDone,
            ...(bytesTotal !== undefined && { bytesTotal }),
            ...(message !== undefined && { message }),
          },
          false,
        );
      },
    };
  }

  /** The final report: percent 100, always sent. */
  done(bytesDone: number, message?: string): void {
    this.emit({ step: ProgressStep.Done, percent: 100, bytesDone, ...(message !== undefined && { message }) }, true);
  }

  private emit(progress: Progress, force: boolean): void {
    if (!this.listener) return;
    const percent = Math.max(this.percent, Math.round(progress.percent * 10) / 10);
    this.percent = percent;
    const at = this.now();
    if (!force && this.sent > 0 && at - this.lastAt < this.intervalMs) return;
    this.lastAt = at;
    this.sent++;
    try {
      const result = this.listener({ ...progress, percent });
      if (result && typeof result.then === 'function') result.then(undefined, () => undefined);
    } catch {
      // progress is advisory: a failing listener (e.g. a lost event bus) must not fail a backup
    }
  }
}
