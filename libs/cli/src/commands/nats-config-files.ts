import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nkeys } from '@nats-io/nats-core';
import { NodeId } from '@lockstep/contracts';
import {
  deploymentIdentities,
  identityName,
  renderNatsAuthorization,
  type NatsIdentity,
  type NatsUser,
} from '@lockstep/messaging';
import { UsageError } from '../errors';

/** File names in the output directory. */
export const NatsConfigFiles = {
  /** The users and permissions, to `include` from the server config; rewritten on every run. */
  auth: 'auth.conf',
  /** A complete example server config; written once, kept when it exists (an operator may have edited it). */
  server: 'nats-server.conf',
  /** One NKey seed per identity, mode 0600: `<identity>.nk`, agents as `agent-<nodeId>.nk`. */
  seed: (identity: string) => `${identity}.nk`,
} as const;

/** One identity of the written config. */
export interface WrittenIdentity {
  name: string;
  publicKey: string;
  seedFile: string;
  /** A new key was generated now (false: the existing seed file was kept). */
  created: boolean;
}

/** What a run wrote. */
export interface NatsConfigResult {
  namespace: string;
  authFile: string;
  serverConfigFile: string;
  /** False when nats-server.conf existed and was left as it was. */
  serverConfigWritten: boolean;
  identities: WrittenIdentity[];
  /** Nodes in the config only because their seed file was already in the directory. */
  keptNodes: string[];
}

const AGENT_SEED = /^agent-(.+)\.nk$/;

/**
 * Writes (or updates) the NATS users of a deployment into `dir`. Seeds already there are
 * kept, so the same identity keeps its key; nodes whose seed is there stay in the config
 * (removing a node = deleting its seed file and running again), and the admin stays once
 * its seed exists.
 */
export async function writeNatsConfig(
  dir: string,
  options: { namespace: string; nodes: string[]; admin: boolean },
): Promise<NatsConfigResult> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = await readdir(dir);
  const seededNodes = existing.flatMap((f) => AGENT_SEED.exec(f)?.[1] ?? []);
  for (const node of seededNodes)
    if (!NodeId.safeParse(node).success)
      throw new UsageError(
        `${join(dir, NatsConfigFiles.seed(`agent-${node}`))} names no valid node id (lowercase letters, digits, dash, underscore): rename or remove it`,
      );
  const keptNodes = seededNodes.filter((n) => !options.nodes.includes(n)).sort();
  const identities = deploymentIdentities([...options.nodes, ...seededNodes], {
    admin: options.admin || existing.includes(NatsConfigFiles.seed('admin')),
  });

  const written: WrittenIdentity[] = [];
  for (const identity of identities) written.push(await ensureSeed(dir, identity, existing));
  const users: NatsUser[] = identities.map((identity, i) => ({ identity, publicKey: written[i].publicKey }));

  const authFile = join(dir, NatsConfigFiles.auth);
  await writeFile(`${authFile}.tmp`, renderNatsAuthorization(options.namespace, users), { mode: 0o644 });
  await rename(`${authFile}.tmp`, authFile);

  const serverConfigFile = join(dir, NatsConfigFiles.server);
  const serverConfigWritten = !existing.includes(NatsConfigFiles.server);
  if (serverConfigWritten) await writeFile(serverConfigFile, serverConfigText(options.namespace), { flag: 'wx' });

  return {
    namespace: options.namespace,
    authFile,
    serverConfigFile,
    serverConfigWritten,
    identities: written,
    keptNodes,
  };
}

/** Reads the identity's seed file, or creates it (mode 0600) with a new NKey user. */
async function ensureSeed(dir: string, identity: NatsIdentity, existing: string[]): Promise<WrittenIdentity> {
  const name = identityName(identity);
  const seedFile = join(dir, NatsConfigFiles.seed(name));
  if (existing.includes(NatsConfigFiles.seed(name))) {
    const text = (await readFile(seedFile, 'utf8')).trim();
    let publicKey: string | undefined;
    try {
      publicKey = nkeys.fromSeed(new TextEncoder().encode(text)).getPublicKey();
    } catch {
      publicKey = undefined;
    }
    if (!publicKey?.startsWith('U'))
      throw new UsageError(
        `${seedFile} holds no NATS user seed (SU…): restore it from your backup, or move it away to give ${name} a new key`,
      );
    await chmod(seedFile, 0o600);
    return { name, publicKey, seedFile, created: false };
  }
  const pair = nkeys.createUser();
  await writeFile(seedFile, `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600, flag: 'wx' });
  return { name, publicKey: pair.getPublicKey(), seedFile, created: true };
}

function serverConfigText(namespace: string): string {
  return [
    `# nats-server configuration for the Lockstep namespace "${namespace}" (an example written by`,
    `# \`lockstep nats config\`; it is kept on later runs, edit it freely). Users and permissions are in`,
    `# auth.conf: after \`lockstep nats config\` adds a node, apply it with \`nats-server --signal reload\`.`,
    `server_name: "lockstep-nats-1"`,
    `listen: "0.0.0.0:4222"`,
    `jetstream {`,
    `  store_dir: "/var/lib/nats/jetstream"`,
    `}`,
    `include "${NatsConfigFiles.auth}"`,
    ``,
  ].join('\n');
}
