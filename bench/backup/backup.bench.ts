/**
 * bench:backup — how fast Lockstep backs up a realistic host, next to the tools people know.
 *
 * Builds (or reuses) a seeded data set of ~190 MB of files (see dataset.ts: logs, JSON,
 * thousands of small text files, media, thumbnails, database-like pages) and a pgbench
 * database of scale BENCH_PG_SCALE in a fresh database (dropped at the end); starts s3rver
 * in its own process. Every Lockstep backup runs in its own child process (backup-child.ts)
 * with encryption on (as restic always has it) and defaultCompressor(3) (zstd level 3
 * through the native binding), into a fresh bucket unless it is a re-backup. Every timed run (Lockstep's and the other
 * tools') starts right after the files were read once, so all see the page cache equally warm.
 *
 * - mb_per_s: one backup of the files plus the database streamed from pg_dump
 *   (pgDumpSource), (file bytes + dump bytes) / seconds of BackupEngine.backup.
 * - ratio_vs_tar_zstd: files only, like with like: Lockstep's files-only backup MB/s over
 *   `tar -cf - <files> | zstd -3 > file` MB/s, same bytes (the file bytes) over each one's
 *   wall time (backup() for Lockstep). BENCH_ROUNDS rounds alternate which goes first; the
 *   median of the per-round ratios is reported, so drift on a shared machine cancels out.
 *   For reference each round also times restic's first backup of the files into a fresh local
 *   repository and logs its ratio the same way (not part of the last line).
 * - rebackup_ratio_vs_restic: the same files again, unchanged: Lockstep's time to open the
 *   repository (key derivation, chunk index) and back up, over the wall time of `restic
 *   backup` run again on them (restic repository on local disk; its previous snapshot is the
 *   parent). Median over BENCH_REBACKUP_ROUNDS alternating pairs; `na` when restic cannot be had.
 * - peak_rss_mb: the largest peak RSS (VmHWM) of any Lockstep backup process in the run.
 *
 * Last line:
 *   bench:backup mb_per_s=<x> ratio_vs_tar_zstd=<a> rebackup_ratio_vs_restic=<b> peak_rss_mb=<m>
 * Settings: BENCH_SEED (lockstep), BENCH_DATA_DIR (OS temp dir; the data set is cached
 * there), BENCH_PG_SCALE (10), BENCH_ROUNDS (3), BENCH_REBACKUP_ROUNDS (5),
 * LOCKSTEP_TEST_PG_URL (admin connection).
 * Needs Postgres with pgbench (deploy/scripts/ensure-infra.sh), zstd, tar, `npm run build`;
 * installs restic from Debian's package when it is missing (as root).
 *
 * Where the time goes (a files-only backup on 2 cores): zstd -3 on the compressible 56% of
 * the bytes costs as much CPU as the whole tar | zstd pipeline; on top Lockstep chunks,
 * hashes every byte twice (chunk ids, file digests), encrypts, hashes packs, and uploads
 * them through an S3 client that hashes them twice more to a server that hashes them again.
 * The report line's `cpu … (main thread …)` shows the split.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { uniqueName, type TestDatabase } from '@lockstep/testing';
import type { BackupChildResult, BackupChildSettings } from './backup-child';
import { ResticRepo, ensureRestic, pgbenchDatabase, tarZstd, warmPageCache } from './baselines';
import { ensureDataset } from './dataset';

const SEED = process.env.BENCH_SEED ?? 'lockstep';
const DATA_DIR = process.env.BENCH_DATA_DIR ?? tmpdir();
const PG_SCALE = Number(process.env.BENCH_PG_SCALE ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REBACKUP_ROUNDS = Number(process.env.BENCH_REBACKUP_ROUNDS ?? 5);
const PASSPHRASE = 'bench-backup-passphrase';

const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
const mb = (bytes: number) => bytes / 1e6;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

type S3 = BackupChildSettings['s3'];

/** s3rver in its own process (bench/support/s3-server.ts), so serving uploads does not share the bench's event loop. */
async function startS3(): Promise<{ s3: S3; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'support', 's3-server.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`s3 server exited with ${code}`)));
  });
  const { endpoint, accessKey, secretKey } = JSON.parse(line) as S3;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.stdin.end();
    await exited;
  };
  return { s3: { endpoint, accessKey, secretKey }, stop };
}

/** Runs one Lockstep backup in a child process and returns what it reports. */
function backupInChild(settings: BackupChildSettings): Promise<BackupChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'backup-child.js')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_BACKUP_CHILD: JSON.stringify(settings) },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`backup child exited ${code}: ${err.trim()}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as BackupChildResult);
    });
  });
}

const describe = (r: BackupChildResult) =>
  `${mb(r.bytesRead).toFixed(1)} MB read, ${r.newChunks} new / ${r.reusedChunks} reused chunks, ${mb(r.bytesUploaded).toFixed(1)} MB uploaded, open ${r.openMs.toFixed(0)} ms + backup ${r.backupMs.toFixed(0)} ms, cpu ${(r.cpuMs / 1000).toFixed(2)} s (main thread ${(r.mainCpuMs / 1000).toFixed(2)} s), peak RSS ${r.peakRssMb.toFixed(0)} MB`;

async function main(): Promise<void> {
  for (const [name, v] of Object.entries({ BENCH_ROUNDS: ROUNDS, BENCH_REBACKUP_ROUNDS: REBACKUP_ROUNDS }))
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a positive integer`);
  if (!Number.isInteger(PG_SCALE) || PG_SCALE < 1) throw new Error('BENCH_PG_SCALE: expected a positive integer');
  const data = await ensureDataset(DATA_DIR, SEED);
  log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}; data set: ${data.files} files, ${mb(data.bytes).toFixed(1)} MB (${data.built ? 'built' : 'cached'}) in ${data.root}`,
  );
  const resticMissing = ensureRestic(log);
  const work = await mkdtemp(join(tmpdir(), 'lockstep-bench-backup-'));
  const { s3, stop } = await startS3();
  let db: TestDatabase | undefined;
  const restic = new ResticRepo(join(work, 'restic'));
  const peaks: number[] = [];
  const child = async (settings: Omit<BackupChildSettings, 's3' | 'passphrase'>) => {
    const r = await backupInChild({ ...settings, s3, passphrase: PASSPHRASE });
    peaks.push(r.peakRssMb);
    return r;
  };
  try {
    log(`pgbench -i -s ${PG_SCALE} into a fresh database`);
    db = await pgbenchDatabase(PG_SCALE);

    // (b) files only, Lockstep vs tar | zstd -3, alternating which goes first; restic's first
    // backup of the same files into a fresh local repository is measured alongside, as a
    // reference for what a deduplicating, encrypting tool reaches here.
    const ratios: number[] = [];
    const resticFirstRatios: number[] = [];
    const filesBuckets: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const bucket = uniqueName('benchfiles');
      filesBuckets.push(bucket);
      let tarS = 0;
      let ours: BackupChildResult | undefined;
      // this VM drops page cache quickly: each timed run starts from freshly read files
      const tarRun = async () => {
        await warmPageCache(data.root);
        tarS = await tarZstd(data.root, join(work, 'files.tar.zst'));
      };
      const oursRun = async () => {
        await warmPageCache(data.root);
        ours = await child({ bucket, source: data.root });
      };
      if (round % 2) await tarRun().then(oursRun);
      else await oursRun().then(tarRun);
      const oursMbps = mb(ours!.bytesRead) / (ours!.backupMs / 1000);
      const tarMbps = mb(data.bytes) / tarS;
      ratios.push(oursMbps / tarMbps);
      let resticNote = '';
      if (!resticMissing) {
        const fresh = new ResticRepo(join(work, `restic-first-${round}`));
        await fresh.init();
        await warmPageCache(data.root);
        const resticS = await fresh.backup(data.root);
        await fresh.remove();
        resticFirstRatios.push(tarS / resticS);
        resticNote = `; restic first backup ${resticS.toFixed(2)} s, ratio ${(tarS / resticS).toFixed(3)}`;
      }
      log(
        `round ${round}: tar|zstd -3 ${tarS.toFixed(2)} s (${tarMbps.toFixed(1)} MB/s); lockstep files ${oursMbps.toFixed(1)} MB/s (${describe(ours!)}); ratio ${(oursMbps / tarMbps).toFixed(3)}${resticNote}`,
      );
    }
    if (resticFirstRatios.length)
      log(
        `reference: restic's first backup of the same files (local repository) reaches ratio_vs_tar_zstd=${median(resticFirstRatios).toFixed(3)}; Lockstep (into the S3 server) ${median(ratios).toFixed(3)}`,
      );
    await rm(join(work, 'files.tar.zst'), { force: true });

    // (a) files + database into a fresh bucket.
    await warmPageCache(data.root);
    const full = await child({ bucket: uniqueName('benchfull'), source: data.root, pgUrl: db.url });
    const fullMbps = mb(full.bytesRead) / (full.backupMs / 1000);
    log(
      `full backup: ${data.files} files + pg_dump of scale ${PG_SCALE} (${mb(full.dumpBytes).toFixed(1)} MB dump): ${fullMbps.toFixed(1)} MB/s (${describe(full)})`,
    );

    // (c) unchanged re-backup: Lockstep into the bucket of the first files-only backup vs restic re-run.
    let rebackup = 'na';
    if (resticMissing) log(`restic: ${resticMissing}; rebackup_ratio_vs_restic=na`);
    else {
      log(`${await restic.version()}: repository on local disk in ${work}`);
      await restic.init();
      log(`restic first backup: ${(await restic.backup(data.root)).toFixed(2)} s`);
      const pairs: number[] = [];
      for (let round = 1; round <= REBACKUP_ROUNDS; round++) {
        let resticS = 0;
        let ours: BackupChildResult | undefined;
        const resticRun = async () => {
          await warmPageCache(data.root);
          resticS = await restic.backup(data.root);
        };
        const oursRun = async () => {
          await warmPageCache(data.root);
          ours = await child({ bucket: filesBuckets[0], source: data.root });
        };
        if (round % 2) await resticRun().then(oursRun);
        else await oursRun().then(resticRun);
        const oursS = (ours!.openMs + ours!.backupMs) / 1000;
        pairs.push(oursS / resticS);
        log(
          `re-backup ${round}: restic ${resticS.toFixed(2)} s; lockstep ${oursS.toFixed(2)} s (${describe(ours!)}); ratio ${(oursS / resticS).toFixed(3)}`,
        );
      }
      rebackup = median(pairs).toFixed(3);
    }
    const peak = Math.max(...peaks);
    log(
      `settings: seed=${SEED} pg_scale=${PG_SCALE} rounds=${ROUNDS} rebackup_rounds=${REBACKUP_ROUNDS}; load average now ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (other work on this machine skews the ratios)`,
    );
    console.log(
      `bench:backup mb_per_s=${fullMbps.toFixed(1)} ratio_vs_tar_zstd=${median(ratios).toFixed(3)} rebackup_ratio_vs_restic=${rebackup} peak_rss_mb=${peak.toFixed(0)}`,
    );
  } finally {
    await db?.drop().catch((err: Error) => log(`could not drop ${db?.name}: ${err.message}`));
    await stop();
    await restic.remove();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench:backup failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
