import type { DatabaseDumpFormat } from './manifest';

/**
 * A named byte stream backed up through the chunker and packer without being staged on
 * disk, recorded as a `database` entry. `open` is called once; the iterable must throw
 * when the producer fails (e.g. pg_dump exits non-zero), which fails the whole backup.
 */
export interface StreamSource {
  /** Entry name in the manifest, e.g. `database/app.dump`. */
  path: string;
  /** Name of the database the stream dumps. */
  database: string;
  /** Dump format recorded for the restore. */
  format: DatabaseDumpFormat;
  /** Opens the stream. */
  open(): AsyncIterable<Buffer>;
}
