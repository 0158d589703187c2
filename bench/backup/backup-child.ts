/**
 * One Lockstep backup in its own process, for bench:backup: the parent reads this process's
 * peak RSS, and the backup's CPU work does not share an event loop with the bench.
 *
 * Settings come as JSON in BENCH_BACKUP_CHILD (see {@link BackupChildSettings}). Prints one
 * JSON line (see {@link BackupChildResult}) and exits 0, or prints the error and exits 1.
 */
import { readFileSync } from 'node:fs';
import { BackupEngine, defaultCompressor, pgDumpSource, type StreamSource } from '@lockstep/backup-engine';
import { MinioObjectStore } from '@lockstep/storage';

/** What the bench asks of one child. */
export interface BackupChildSettings {
  s3: { endpoint: string; accessKey: string; secretKey: string };
  bucket: string;
  passphrase: string;
  /** Directory to back up, if any. */
  source?: string;
  /** Database to stream through pg_dump, if any. */
  pgUrl?: string;
}

/** What one child reports. */
export interface BackupChildResult {
  /** BackupEngine.open: key derivation and loading the chunk index. */
  openMs: number;
  /** BackupEngine.backup, up to the manifest's upload. */
  backupMs: number;
  /** CPU time of the whole process (all threads) during open + backup. */
  cpuMs: number;
  /** Of that, the main thread's (Linux; 0 elsewhere): the event loop, where chunking and hashing run. */
  mainCpuMs: number;
  bytesRead: number;
  bytesUploaded: number;
  newChunks: number;
  reusedChunks: number;
  files: number;
  /** Bytes of the database entry (the dump), 0 without one. */
  dumpBytes: number;
  /** Peak resident set of this process (VmHWM), MiB. */
  peakRssMb: number;
}

/** CPU time of this process's main thread so far, ms (from /proc; 0 where there is none). */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

/** VmHWM from /proc (Linux), else the resource usage figure; both in MiB. */
function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.BENCH_BACKUP_CHILD ?? '') as BackupChildSettings;
  const store = new MinioObjectStore({ ...settings.s3, bucket: settings.bucket });
  const streams: StreamSource[] = settings.pgUrl ? [pgDumpSource({ url: settings.pgUrl })] : [];
  const cpu = process.cpuUsage();
  const mainCpu = mainThreadCpuMs();
  const t0 = process.hrtime.bigint();
  const engine = await BackupEngine.open(store, { passphrase: settings.passphrase, compressor: defaultCompressor(3) });
  const t1 = process.hrtime.bigint();
  const { manifest, stats } = await engine.backup({ source: settings.source, streams });
  const t2 = process.hrtime.bigint();
  const used = process.cpuUsage(cpu);
  const result: BackupChildResult = {
    openMs: Number(t1 - t0) / 1e6,
    backupMs: Number(t2 - t1) / 1e6,
    cpuMs: (used.user + used.system) / 1000,
    mainCpuMs: mainThreadCpuMs() - mainCpu,
    bytesRead: stats.bytesRead,
    bytesUploaded: stats.bytesUploaded,
    newChunks: stats.newChunks,
    reusedChunks: stats.reusedChunks,
    files: manifest.entries.filter((e) => e.type === 'file').length,
    dumpBytes: manifest.entries.reduce((n, e) => n + (e.type === 'database' ? e.size : 0), 0),
    peakRssMb: peakRssMb(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`backup child failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
