import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A running S3-protocol server on loopback (s3rver), for tests and the demo. */
export interface S3ServerHandle {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  port: number;
  directory: string;
  /** Stops the server; keeps the data directory unless `purge` is set. */
  stop(purge?: boolean): Promise<void>;
  /**
   * Stops the server as a crash would: transfers in flight break off too (`stop` lets them
   * finish). Keeps the data; `startS3Server({ port, directory })` brings it back.
   */
  kill(): Promise<void>;
}

/**
 * Starts s3rver on 127.0.0.1. Port 0 picks a free port. s3rver accepts the fixed
 * S3RVER credentials below.
 */
export async function startS3Server(options: { port?: number; directory?: string } = {}): Promise<S3ServerHandle> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver');
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'lockstep-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory,
    silent: true,
    resetOnClose: false,
  });
  withReadAfterWrite((server as { store: S3rverStore }).store);
  const address: AddressInfo = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    port: address.port,
    directory,
    async stop(purge = false) {
      if (server.httpServer?.listening) await server.close();
      if (purge) rmSync(directory, { recursive: true, force: true });
    },
    async kill() {
      const closed = server.close();
      server.httpServer.closeAllConnections();
      await closed;
    },
  };
}

/** The parts of s3rver's filesystem store that {@link withReadAfterWrite} replaces or uses. */
interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  getObject(bucket: string, key: string, options?: unknown): Promise<unknown>;
  putObject(object: { bucket: string; key: string; content: Readable | Buffer; metadata: unknown }): Promise<unknown>;
}

/**
 * s3rver answers a PUT before the object's bytes reach its file (it resolves when its hashing
 * transform ends, not when the file stream does) and keeps bytes and metadata in two files, so
 * a GET right after or during a PUT of the same key can read a truncated object. S3 servers
 * have read-after-write consistency, and the TUF writers rely on it (they read back what they
 * wrote), so the test server gets it too: a put writes a temporary file, renames it into place
 * and then writes the metadata, under a per-key lock that gets of that key wait for.
 */
function withReadAfterWrite(store: S3rverStore): void {
  const tails = new Map<string, Promise<unknown>>();
  const locked = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    tails.set(key, run);
    run
      .finally(() => {
        if (tails.get(key) === run) tails.delete(key);
      })
      .catch(() => undefined);
    return run;
  };
  const getObject = store.getObject.bind(store);
  store.getObject = (bucket, key, options) => locked(`${bucket}/${key}`, () => getObject(bucket, key, options));
  store.putObject = (object) =>
    locked(`${object.bucket}/${object.key}`, async () => {
      const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
      await mkdir(dirname(objectPath), { recursive: true });
      const temporary = `${objectPath}.${randomUUID()}.tmp`;
      const md5 = createHash('md5');
      let size = 0;
      const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
      const count = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(content, count, createWriteStream(temporary));
      await rename(temporary, objectPath);
      const digest = md5.digest('hex');
      await store.putMetadata(object.bucket, object.key, object.metadata, digest);
      return { size, md5: digest };
    });
}
