import { Client, type ClientOptions } from 'minio';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { ObjectNotFoundError, StorageError, StorageErrorCode } from './errors';
import type { ObjectInfo, ObjectStore } from './object-store.port';

/** Largest object Lockstep writes: packs, artifacts and metadata all stay under it. */
export const MAX_OBJECT_BYTES = 16 * 1024 * 1024;

/** Connection settings for an S3-protocol server (MinIO in production, s3rver in tests). */
export interface S3Settings {
  /** e.g. http://127.0.0.1:9000 */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region?: string;
  /**
   * A request whose connection carries nothing for this long fails (default 60 s), so a
   * hung server (a partition, a stuck proxy) fails a backup instead of holding it and its
   * lock forever; a slow but moving transfer is not cut.
   */
  idleTimeoutMs?: number;
}

export const DEFAULT_S3_IDLE_TIMEOUT_MS = 60_000;

/**
 * A keep-alive agent whose sockets are destroyed after `idleMs` without traffic. The agent's
 * own `timeout` keeps the socket timeout set while pooled (a server's `Keep-Alive: timeout`
 * hint may lower it there), reuse sets it back to `idleMs`; Node only emits the event, the
 * listener destroys the socket.
 */
function idleTimeoutAgent(secure: boolean, idleMs: number): http.Agent {
  const options = { keepAlive: true, timeout: idleMs };
  const agent = secure ? new https.Agent(options) : new http.Agent(options);
  const create = agent.createConnection.bind(agent) as (...args: unknown[]) => Socket;
  (agent as unknown as { createConnection: (...args: unknown[]) => unknown }).createConnection = (
    ...args: unknown[]
  ) => {
    const socket = create(...args);
    socket.setTimeout(idleMs, () => socket.destroy(new Error(`the S3 server sent nothing for ${idleMs / 1000} s`)));
    return socket;
  };
  // a pooled socket's timeout may have been lowered to the server's Keep-Alive hint: a request on it gets the full idle time again
  const reuse = agent.reuseSocket.bind(agent);
  agent.reuseSocket = (socket, request) => {
    (socket as Socket).setTimeout(idleMs);
    reuse(socket, request);
  };
  return agent;
}

const isNotFound = (err: unknown): boolean => {
  const code = (err as { code?: string })?.code;
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket';
};

/**
 * The connection broke before an answer began: typically a pooled keep-alive socket that the
 * server had already closed (its idle timeout ran out while this process was busy and had not
 * yet seen the close). Every request this store makes from memory is idempotent, so it is sent
 * once more. A body cut off midway ('aborted') is an outage and is not repeated.
 */
const isConnectionReset = (err: unknown): boolean => {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  return code === 'EPIPE' || (code === 'ECONNRESET' && message !== 'aborted');
};

/** ObjectStore backed by the `minio` client. */
export class MinioObjectStore implements ObjectStore {
  private readonly client: Client;
  private readonly https: boolean;
  readonly bucket: string;

  constructor(settings: S3Settings) {
    const url = new URL(settings.endpoint);
    const options: ClientOptions = {
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
      useSSL: url.protocol === 'https:',
      accessKey: settings.accessKey,
      secretKey: settings.secretKey,
      region: settings.region ?? 'us-east-1',
      pathStyle: true,
      transportAgent: idleTimeoutAgent(url.protocol === 'https:', settings.idleTimeoutMs ?? DEFAULT_S3_IDLE_TIMEOUT_MS),
    };
    this.client = new Client(options);
    this.https = options.useSSL === true;
    this.bucket = settings.bucket;
  }

  async ensureBucket(): Promise<void> {
    await this.wrap('check bucket', async () => {
      if (!(await this.client.bucketExists(this.bucket))) {
        try {
          await this.client.makeBucket(this.bucket);
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
        }
      }
    });
  }

  async put(key: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    this.checkSize(key, buf.length);
    await this.wrap(`put ${key}`, () =>
      this.client.putObject(this.bucket, key, buf, buf.length, { 'Content-Type': contentType }),
    );
  }

  async putWithDigest(key: string, body: Buffer, sha256: string): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(sha256))
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `put ${key}: ${JSON.stringify(sha256)} is not a sha256 digest (64 lowercase hex digits)`,
      );
    // Over HTTPS putObject signs UNSIGNED-PAYLOAD and sends Content-MD5, which every S3 server checks: keep that.
    if (this.https) return this.put(key, body);
    this.checkSize(key, body.length);
    // Over plain HTTP putObject copies the body and hashes it twice (MD5, and SHA-256 to sign
    // it); the digest is known, so the request is signed with it, and the server refuses a
    // body that does not match (the signed payload hash).
    const headers = { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' };
    await this.wrap(`put ${key}`, async () => {
      const res = await this.client.makeRequestStreamAsync(
        { method: 'PUT', bucketName: this.bucket, objectName: key, headers },
        body,
        sha256,
        [200],
        '',
      );
      res.resume();
      await new Promise<void>((resolve, reject) => res.once('end', resolve).once('error', reject));
    });
  }

  async putStream(key: string, body: Readable, size: number, contentType = 'application/octet-stream'): Promise<void> {
    this.checkSize(key, size);
    await this.wrap(
      `put ${key}`,
      () => this.client.putObject(this.bucket, key, body, size, { 'Content-Type': contentType }),
      { once: true }, // the stream cannot be read again
    );
  }

  async get(key: string): Promise<Buffer> {
    // a connection that breaks or stalls while the body comes is an outage too, not damage
    return this.wrap(`get ${key}`, async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.openObject(key)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  /** The object's body as a stream; a connection that breaks after it opened is the reader's to handle. */
  async getStream(key: string): Promise<Readable> {
    return this.wrap(`get ${key}`, () => this.openObject(key));
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    return this.wrap(`stat ${key}`, async () => {
      try {
        const s = await this.client.statObject(this.bucket, key);
        return { key, size: s.size, etag: s.etag.replace(/"/g, ''), lastModified: s.lastModified };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return this.wrap(`list ${prefix}`, async () => {
      const out: ObjectInfo[] = [];
      const stream = this.client.listObjectsV2(this.bucket, prefix, true);
      for await (const item of stream as AsyncIterable<{
        name?: string;
        size: number;
        etag?: string;
        lastModified?: Date;
      }>) {
        if (!item.name) continue;
        out.push({
          key: item.name,
          size: item.size,
          etag: (item.etag ?? '').replace(/"/g, ''),
          lastModified: item.lastModified ?? new Date(0),
        });
      }
      return out;
    });
  }

  async remove(key: string): Promise<void> {
    await this.wrap(`remove ${key}`, () => this.client.removeObject(this.bucket, key));
  }

  private checkSize(key: string, size: number): void {
    if (size > MAX_OBJECT_BYTES) {
      throw new StorageError(
        StorageErrorCode.TooLarge,
        `object ${key} is ${size} bytes; objects must be at most ${MAX_OBJECT_BYTES} bytes (split it into packs)`,
      );
    }
  }

  private unavailable(action: string, err: unknown): StorageError {
    return new StorageError(
      StorageErrorCode.Unavailable,
      `object store ${this.bucket}: ${action} failed: ${(err as Error)?.message ?? err}. Check that the S3 endpoint is reachable and the credentials are right.`,
      { cause: err },
    );
  }

  private async openObject(key: string): Promise<Readable> {
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(this.bucket, key, { cause: err });
      throw err;
    }
  }

  /** Runs one request (sent twice when the connection broke under the first: see isConnectionReset). */
  private async wrap<T>(action: string, fn: () => Promise<T>, options: { once?: boolean } = {}): Promise<T> {
    try {
      return await fn().catch((err: unknown) => {
        if (options.once || !isConnectionReset(err)) throw err;
        return fn();
      });
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw this.unavailable(action, err);
    }
  }
}
