import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a published version is signed: by the registry's key, by another key under the same keyid, or not at all. */
export type NpmSigning = 'registry' | 'other-key' | 'unsigned';

/** An ECDSA P-256 signing key as an npm registry has one. */
export interface NpmSigningKey {
  keyid: string;
  privateKey: KeyObject;
  /** The entry `/-/npm/v1/keys` lists for it. */
  json: { keyid: string; keytype: string; scheme: string; key: string; expires: string | null };
}

/** A fresh registry-style signing key. */
export function generateNpmSigningKey(): NpmSigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const keyid = `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
  return {
    keyid,
    privateKey,
    json: {
      keyid,
      keytype: 'ecdsa-sha2-nistp256',
      scheme: 'ecdsa-sha2-nistp256',
      key: der.toString('base64'),
      expires: null,
    },
  };
}

/**
 * An npm registry on loopback serving one package: its full document (with `dist.integrity`
 * and `dist.signatures` over `${name}@${version}:${integrity}`, as registry.npmjs.org signs),
 * its tarballs and `/-/npm/v1/keys`. Counts requests, so a test can tell nothing was downloaded.
 */
export class FakeNpmRegistry {
  /** The registry's own signing key (what nodes pin). */
  readonly key = generateNpmSigningKey();
  /** Paths requested, in order. */
  readonly requests: string[] = [];
  url = '';
  private readonly versions: Record<string, unknown> = {};
  private readonly time: Record<string, string> = {};
  private readonly tarballs = new Map<string, Buffer>();
  private server!: Server;

  private constructor(readonly packageName: string) {}

  /** Starts the registry on 127.0.0.1 on a free port. */
  static async start(packageName: string): Promise<FakeNpmRegistry> {
    const registry = new FakeNpmRegistry(packageName);
    registry.server = createServer((req, res) => {
      const path = req.url ?? '';
      registry.requests.push(path);
      const body = registry.answer(path);
      if (body === undefined) return void res.writeHead(404).end('{"error":"Not found"}');
      const json = !Buffer.isBuffer(body);
      res
        .writeHead(200, { 'content-type': json ? 'application/json' : 'application/octet-stream' })
        .end(json ? JSON.stringify(body) : body);
    });
    await new Promise<void>((resolve) => registry.server.listen(0, '127.0.0.1', resolve));
    registry.url = `http://127.0.0.1:${(registry.server.address() as AddressInfo).port}`;
    return registry;
  }

  /** The `/-/npm/v1/keys` answer, as a node pins it (AGENT_NPM_KEYS). */
  keysDocument(): string {
    return JSON.stringify({ keys: [this.key.json] });
  }

  /** Publishes `version` with `tarball`; returns the artifact a command names for it. */
  publish(
    version: string,
    tarball: Buffer,
    signing: NpmSigning = 'registry',
  ): { uri: string; sha256: string; length: number } {
    const path = `/tarballs/${this.packageName.replace(/[@/]/g, '_')}-${version}.tgz`;
    const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    const message = Buffer.from(`${this.packageName}@${version}:${integrity}`);
    const signer = signing === 'other-key' ? generateNpmSigningKey().privateKey : this.key.privateKey;
    const signatures =
      signing === 'unsigned'
        ? undefined
        : [{ keyid: this.key.keyid, sig: sign('sha256', message, signer).toString('base64') }];
    this.versions[version] = {
      name: this.packageName,
      version,
      dist: { tarball: `${this.url}${path}`, integrity, ...(signatures ? { signatures } : {}) },
    };
    this.time[version] = new Date().toISOString();
    this.tarballs.set(path, tarball);
    return {
      uri: `${this.url}${path}`,
      sha256: createHash('sha256').update(tarball).digest('hex'),
      length: tarball.length,
    };
  }

  /**
   * Serves `bytes` at `path` without listing them in the package document: an artifact known
   * only by the sha256 a forged command names. Returns that artifact.
   */
  host(path: string, bytes: Buffer): { uri: string; sha256: string; length: number } {
    this.tarballs.set(path, bytes);
    return {
      uri: `${this.url}${path}`,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      length: bytes.length,
    };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(path: string): Buffer | object | undefined {
    if (path === '/-/npm/v1/keys') return { keys: [this.key.json] };
    const name = decodeURIComponent(path.slice(1));
    if (name === this.packageName) return { name, versions: this.versions, time: this.time };
    return this.tarballs.get(path);
  }
}
