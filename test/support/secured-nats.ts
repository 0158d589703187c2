import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnectionSettings } from '@lockstep/config';
import { deploymentIdentities, identityName, renderNatsAuthorization } from '@lockstep/messaging';
import { startNatsServer, type NatsServerInstance } from '@lockstep/testing';
import { nkeys } from '@nats-io/nats-core';

/**
 * A nats-server of its own for one test deployment, running the users `lockstep nats config`
 * generates for its namespace and nodes (plus the admin the test itself connects as). Every
 * Lockstep process the test starts gets its own identity's seed file, so the test runs the
 * product under least privilege; `violations()` lists what the server refused.
 */
export class SecuredNats {
  private constructor(
    private readonly server: NatsServerInstance,
    private readonly dir: string,
    /** Identity name by NKey public key, to name the culprit of a violation. */
    private readonly names: Map<string, string>,
  ) {}

  static async start(namespace: string, nodeIds: readonly string[]): Promise<SecuredNats> {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-nats-users-'));
    const users = deploymentIdentities(nodeIds, { admin: true }).map((identity) => {
      const pair = nkeys.createUser();
      writeFileSync(join(dir, `${identityName(identity)}.nk`), new TextDecoder().decode(pair.getSeed()), {
        mode: 0o600,
      });
      return { identity, publicKey: pair.getPublicKey() };
    });
    const server = await startNatsServer({
      config: 'include "auth.conf"',
      files: { 'auth.conf': renderNatsAuthorization(namespace, users) },
    });
    return new SecuredNats(server, dir, new Map(users.map((u) => [u.publicKey, identityName(u.identity)])));
  }

  get url(): string {
    return this.server.url;
  }

  /** Settings of an identity: `scheduler`, `api`, …, `agent-<nodeId>`, `admin`. */
  settings(identity: string): NatsConnectionSettings {
    return { NATS_URL: [this.server.url], NATS_NKEY_SEED_FILE: join(this.dir, `${identity}.nk`) };
  }

  /** The same as environment variables for a process. */
  env(identity: string): Record<string, string> {
    return { NATS_URL: this.server.url, NATS_NKEY_SEED_FILE: join(this.dir, `${identity}.nk`) };
  }

  /** Every permissions violation the server logged (a process reached beyond its permissions). */
  violations(): string[] {
    return (this.server.output().match(/^.*Violation.*$/gm) ?? []).map((line) =>
      line.replace(/Nkey "(U[A-Z0-9]+)"/, (all, key: string) => `${all} (${this.names.get(key) ?? 'unknown'})`),
    );
  }

  async stop(): Promise<void> {
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
