import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinioObjectStore } from '@lockstep/storage';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { BackupAbortedError, BackupEngine, type Progress, type StreamSource } from '@lockstep/backup-engine';

/** Progress reports with the time each arrived. */
function recorder() {
  const events: (Progress & { at: number })[] = [];
  return { events, onProgress: (p: Progress) => void events.push({ ...p, at: Date.now() }) };
}

/** The contract every operation's reports keep: throttled, monotonic, ending once at 100. */
function expectWellFormed(events: (Progress & { at: number })[]): void {
  const percents = events.map((e) => e.percent);
  expect(events.length).toBeGreaterThanOrEqual(2);
  expect(percents).toEqual([...percents].sort((a, b) => a - b));
  expect(events[events.length - 1]).toMatchObject({ step: 'done', percent: 100 });
  expect(percents.filter((p) => p === 100)).toHaveLength(1);
  expect(percents.every((p) => p >= 0 && p <= 100)).toBe(true);
  for (let i = 1; i < events.length - 1; i++) expect(events[i].at - events[i - 1].at).toBeGreaterThanOrEqual(245);
}

/** A dump stream: `bytes` in 64 KiB pieces, then (when `hang`) a wait that never ends. */
function dumpStream(bytes: Buffer, hang = false): StreamSource {
  return {
    path: 'database/app.dump',
    database: 'app',
    format: 'pg-custom',
    async *open() {
      for (let o = 0; o < bytes.length; o += 64 * 1024) yield bytes.subarray(o, o + 64 * 1024);
      if (hang) await new Promise(() => undefined);
    },
  };
}

describe(`${BackupEngine.name} progress and abort`, () => {
  let s3: S3ServerHandle;
  let work: string;
  const newStore = () =>
    new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('bkprog'),
    });

  beforeAll(async () => {
    s3 = await startS3Server();
    work = await mkdtemp(join(tmpdir(), 'lockstep-progress-'));
  });
  afterAll(async () => {
    await s3.stop(true);
    await rm(work, { recursive: true, force: true });
  });

  it('reports throttled, monotonic progress ending at 100 for backup, verify and restore', async () => {
    const dir = join(work, 'data1');
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(join(dir, 'big.bin'), randomBytes(12 * 1024 * 1024));
    await writeFile(join(dir, 'sub/small.txt'), 'small');
    const sut = await BackupEngine.open(newStore());
    const backupEvents = recorder();
    const verifyEvents = recorder();
    const restoreEvents = recorder();

    const backup = await sut.backup(
      { sources: [{ prefix: 'data/one', dir }], streams: [dumpStream(randomBytes(2 * 1024 * 1024))] },
      { onProgress: backupEvents.onProgress },
    );
    await sut.verify(backup.id, { onProgress: verifyEvents.onProgress });
    await sut.restore(backup.id, join(work, 'restored1'), { select: 'data/one', onProgress: restoreEvents.onProgress });

    for (const { events } of [backupEvents, verifyEvents, restoreEvents]) expectWellFormed(events);
    const steps = backupEvents.events.map((e) => e.step);
    expect(steps[0]).toBe('scan');
    const order = ['scan', 'files', 'streams', 'commit', 'done'];
    expect(steps.map((s) => order.indexOf(s))).toEqual([...steps.map((s) => order.indexOf(s))].sort());
    const fileReport = backupEvents.events.find((e) => e.step === 'files');
    if (fileReport) expect(fileReport.bytesTotal).toBe(12 * 1024 * 1024 + 5);
    expect(verifyEvents.events.every((e) => ['verify', 'done'].includes(e.step))).toBe(true);
    expect(restoreEvents.events.every((e) => ['verify', 'restore', 'done'].includes(e.step))).toBe(true);
    console.log(
      `backup-engine progress: backup ${steps.join(' ')}; verify ${verifyEvents.events.map((e) => e.percent).join(' ')}; restore ${restoreEvents.events.map((e) => `${e.step}:${e.percent}`).join(' ')}`,
    );
  });

  it('aborts a backup while reading files and leaves no backup behind', async () => {
    const dir = join(work, 'data2');
    await mkdir(dir);
    await writeFile(join(dir, 'big.bin'), randomBytes(24 * 1024 * 1024));
    const sut = await BackupEngine.open(newStore());
    const controller = new AbortController();
    let abortedAt = 0;
    const onProgress = (p: Progress) => {
      if (p.step === 'files' && p.bytesDone > 0 && !abortedAt) {
        abortedAt = Date.now();
        controller.abort();
      }
    };

    // Every advance is reported: a fast machine reads the whole file within one default interval.
    const attempt = await sut
      .backup(
        { id: 'backup_aborted_files', sources: [{ prefix: 'data/big', dir }] },
        { onProgress, signal: controller.signal, progressIntervalMs: 0 },
      )
      .catch((err: unknown) => err);
    const settledAfterMs = Date.now() - abortedAt;

    expect(attempt).toBeInstanceOf(BackupAbortedError);
    expect((attempt as Error).message).toMatch(
      /backup backup_aborted_files was cancelled before it completed; no backup was recorded/,
    );
    expect(settledAfterMs).toBeLessThan(3000);
    expect(await sut.list()).toEqual([]);
  });

  it('aborts promptly while a stream is stalled, and at once when already aborted', async () => {
    const sut = await BackupEngine.open(newStore());
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);

    const stalled = await sut
      .backup(
        { id: 'backup_stalled', streams: [dumpStream(randomBytes(256 * 1024), true)] },
        { signal: controller.signal },
      )
      .catch((err: unknown) => err);
    const stalledMs = Date.now() - started;
    const early = await sut
      .backup({ id: 'backup_early', streams: [dumpStream(Buffer.from('x'))] }, { signal: AbortSignal.abort() })
      .catch((err: unknown) => err);

    expect(stalled).toBeInstanceOf(BackupAbortedError);
    expect(stalledMs).toBeLessThan(2000);
    expect(early).toBeInstanceOf(BackupAbortedError);
    expect(await sut.list()).toEqual([]);
  });
});
