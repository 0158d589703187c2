import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

/** A running S3-protocol server on loopback (s3rver), for tests and the demo. */
export interface S3ServerHandle {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  port: number;
  directory: string;
  /** Stops the server; keeps the data directory unless `purge` is set. */
  stop(purge?: boolean): Promise<void>;
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
  const address: AddressInfo = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    port: address.port,
    directory,
    async stop(purge = false) {
      await server.close();
      if (purge) rmSync(directory, { recursive: true, force: true });
    },
  };
}
