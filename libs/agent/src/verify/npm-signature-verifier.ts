import { createHash, verify as verifySignature } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { AgentErrorCode, InstallStepError } from '../errors';
import type { ArtifactFacts } from './tuf-artifact-verifier';
import type { NpmRegistryKey } from './npm-registry-keys';

/** Reads a (bounded) JSON document over HTTP; throws on any failure, saying what happened. */
export type JsonGet = (url: string, maxBytes: number, signal: AbortSignal) => Promise<unknown>;

/** Settings of the npm trust anchor (AGENT_NPM_*). */
export interface NpmAnchorOptions {
  /** AGENT_NPM_REGISTRY: registry base URL, may carry a path. */
  registry: string;
  /** AGENT_NPM_PACKAGE: the package the component is published as. */
  packageName: string;
  /** AGENT_NPM_KEYS: the registry signing keys pinned on this node. */
  keys: readonly NpmRegistryKey[];
}

/** Bound on the package document the agent reads. */
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

const fail = (code: AgentErrorCode, message: string, cause?: unknown) =>
  new InstallStepError(code, message, { step: 'verifying', cause });

interface VersionDist {
  integrity?: unknown;
  signatures?: unknown;
}

/**
 * Verifies a downloaded npm tarball the way `npm audit signatures` does: the registry's
 * ECDSA P-256 signature in `dist.signatures` over `${name}@${version}:${integrity}` must
 * verify under a signing key pinned on this node (and not expired when the version was
 * published), and the artifact must match the sha512 of that signed integrity. The command's
 * own sha256 proves nothing here: whoever can send a command can write any sha256 into it.
 */
export class NpmSignatureVerifier {
  constructor(
    private readonly options: NpmAnchorOptions,
    private readonly getJson: JsonGet,
  ) {}

  async verify(version: string, artifactPath: string, artifact: ArtifactFacts, signal: AbortSignal): Promise<void> {
    const { packageName } = this.options;
    const spec = `${packageName}@${version}`;
    const url = packumentUrl(this.options.registry, packageName);
    let doc: { versions?: Record<string, { dist?: VersionDist }>; time?: Record<string, string> };
    try {
      doc = (await this.getJson(url, MAX_DOCUMENT_BYTES, signal)) as typeof doc;
    } catch (err) {
      throw fail(
        AgentErrorCode.NpmRegistryUnavailable,
        `cannot read the package document ${url} to check ${spec}'s registry signature (${(err as Error).message}); check AGENT_NPM_REGISTRY and the network. Not installed`,
        err,
      );
    }
    const dist = doc?.versions?.[version]?.dist;
    const integrity = typeof dist?.integrity === 'string' ? dist.integrity : undefined;
    if (!integrity)
      throw fail(
        AgentErrorCode.NpmSignatureMissing,
        `the registry at ${this.options.registry} publishes no integrity for ${spec}, so nothing can vouch for its tarball. Not installed`,
      );
    this.checkSignature(spec, integrity, dist?.signatures, doc.time?.[version]);
    const sha512 = sriSha512(integrity);
    if (!sha512)
      throw fail(
        AgentErrorCode.NpmSignatureMissing,
        `the signed integrity of ${spec} has no sha512 digest (${integrity}); only sha512 is accepted. Not installed`,
      );
    const actual = await sha512Of(artifactPath);
    if (actual !== sha512)
      throw fail(
        AgentErrorCode.NpmSignatureInvalid,
        `the downloaded artifact (sha256 ${artifact.sha256}, ${artifact.length} bytes) is not the tarball the registry signed for ${spec} (its sha512 differs from the signed integrity); it was changed after publishing. Not installed`,
      );
  }

  private checkSignature(spec: string, integrity: string, signatures: unknown, publishedAt: string | undefined): void {
    const sigs = Array.isArray(signatures)
      ? (signatures as Array<Partial<Record<'keyid' | 'sig', unknown>> | null>).filter(
          (s): s is { keyid: string; sig: string } => typeof s?.keyid === 'string' && typeof s?.sig === 'string',
        )
      : [];
    const pinned = this.options.keys;
    const candidates = sigs.flatMap((s) => {
      const key = pinned.find((k) => k.keyid === s.keyid);
      return key ? [{ key, sig: s.sig }] : [];
    });
    if (candidates.length === 0)
      throw fail(
        AgentErrorCode.NpmSignatureMissing,
        sigs.length === 0
          ? `the registry publishes no signature for ${spec}; an unsigned tarball is never installed. Not installed`
          : `${spec} is signed only by keys not pinned in AGENT_NPM_KEYS (${sigs.map((s) => s.keyid).join(', ')}); if the registry rotated its keys, pin the new /-/npm/v1/keys answer. Not installed`,
      );
    const published = publishedAt ? Date.parse(publishedAt) : Number.NaN;
    const message = Buffer.from(`${spec}:${integrity}`);
    for (const { key, sig } of candidates) {
      if (key.expiresAt !== undefined && !(published <= key.expiresAt)) continue;
      if (verifySignature('sha256', message, key.publicKey, Buffer.from(sig, 'base64'))) return;
    }
    throw fail(
      AgentErrorCode.NpmSignatureInvalid,
      `the registry signature of ${spec} does not verify under the pinned key ${candidates.map((c) => c.key.keyid).join(', ')} (or the key had expired when it was published); the package document or tarball was re-signed or altered. Not installed`,
    );
  }
}

/** The sha512 (hex) of an SRI string, or undefined. */
function sriSha512(integrity: string): string | undefined {
  for (const token of integrity.trim().split(/\s+/)) {
    const m = /^sha512-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(token);
    if (m) {
      const bytes = Buffer.from(m[1], 'base64');
      if (bytes.length === 64) return bytes.toString('hex');
    }
  }
  return undefined;
}

async function sha512Of(path: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** URL of the full package document; scoped names keep their `@` and encode the slash, as the npm CLI does. */
export function packumentUrl(registry: string, name: string): string {
  const escaped = name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
  return `${registry.replace(/\/+$/, '')}/${escaped}`;
}
