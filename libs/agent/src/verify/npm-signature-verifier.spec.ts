import { generateNpmSigningKey, type NpmSigningKey } from '@lockstep/testing';
import { createHash, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentErrorCode } from '../errors';
import { parseNpmRegistryKeys } from './npm-registry-keys';
import { NpmSignatureVerifier, packumentUrl } from './npm-signature-verifier';

const PACKAGE = '@acme/app';
const VERSION = '1.2.3';
const TARBALL = Buffer.from('the tarball the registry signed');
const integrityOf = (data: Buffer) => `sha512-${createHash('sha512').update(data).digest('base64')}`;
const facts = (data: Buffer) => ({ sha256: createHash('sha256').update(data).digest('hex'), length: data.length });

describe(NpmSignatureVerifier.name, () => {
  let work: string;
  let artifact: string;
  let key: NpmSigningKey;
  let doc: unknown;
  let asked: string[];
  let sut: NpmSignatureVerifier;

  const signed = (signer = key, integrity = integrityOf(TARBALL), keyid = key.keyid) => ({
    versions: {
      [VERSION]: {
        dist: {
          integrity,
          signatures: [
            {
              keyid,
              sig: sign('sha256', Buffer.from(`${PACKAGE}@${VERSION}:${integrity}`), signer.privateKey).toString(
                'base64',
              ),
            },
          ],
        },
      },
    },
    time: { [VERSION]: '2026-01-01T00:00:00.000Z' },
  });

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'npm-verify-'));
    artifact = join(work, 'artifact.tgz');
    await writeFile(artifact, TARBALL);
    key = generateNpmSigningKey();
    asked = [];
    doc = signed();
    sut = new NpmSignatureVerifier(
      {
        registry: 'https://registry.example/npm/',
        packageName: PACKAGE,
        keys: parseNpmRegistryKeys(JSON.stringify({ keys: [key.json] })),
      },
      async (url) => {
        asked.push(url);
        return doc;
      },
    );
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it('accepts a tarball whose registry signature verifies under the pinned key', async () => {
    await sut.verify(VERSION, artifact, facts(TARBALL), AbortSignal.timeout(5000));

    expect(asked).toEqual(['https://registry.example/npm/@acme%2Fapp']);
  });

  it.each<[string, () => unknown, string, RegExp]>([
    [
      're-signed by another key under the same keyid',
      () => signed(generateNpmSigningKey()),
      AgentErrorCode.NpmSignatureInvalid,
      /does not verify under the pinned key/,
    ],
    [
      'signed only by a key that is not pinned',
      () => signed(generateNpmSigningKey(), undefined, 'SHA256:other'),
      AgentErrorCode.NpmSignatureMissing,
      /signed only by keys not pinned/,
    ],
    [
      'unsigned',
      () => ({ versions: { [VERSION]: { dist: { integrity: integrityOf(TARBALL) } } } }),
      AgentErrorCode.NpmSignatureMissing,
      /publishes no signature/,
    ],
    [
      'without integrity',
      () => ({ versions: { [VERSION]: { dist: {} } } }),
      AgentErrorCode.NpmSignatureMissing,
      /no integrity/,
    ],
    ['not published', () => ({ versions: {} }), AgentErrorCode.NpmSignatureMissing, /no integrity/],
    [
      'validly signed for other bytes',
      () => signed(key, integrityOf(Buffer.from('another tarball'))),
      AgentErrorCode.NpmSignatureInvalid,
      /not the tarball the registry signed/,
    ],
  ])('refuses a version %s', async (_what, document, code, message) => {
    doc = document();

    const act = sut.verify(VERSION, artifact, facts(TARBALL), AbortSignal.timeout(5000));

    await expect(act).rejects.toMatchObject({ code, step: 'verifying', message: expect.stringMatching(message) });
  });

  it('refuses a signature by a key that had expired when the version was published', async () => {
    const expired = { ...key.json, expires: '2025-06-01T00:00:00.000Z' };
    sut = new NpmSignatureVerifier(
      {
        registry: 'https://registry.example',
        packageName: PACKAGE,
        keys: parseNpmRegistryKeys(JSON.stringify({ keys: [expired] })),
      },
      async () => doc,
    );

    const act = sut.verify(VERSION, artifact, facts(TARBALL), AbortSignal.timeout(5000));

    await expect(act).rejects.toMatchObject({ code: AgentErrorCode.NpmSignatureInvalid });
  });

  it('says the registry is unavailable when the document cannot be read', async () => {
    sut = new NpmSignatureVerifier({ registry: 'https://r.example', packageName: 'app', keys: [] }, async () => {
      throw new Error('connect ECONNREFUSED');
    });

    const act = sut.verify(VERSION, artifact, facts(TARBALL), AbortSignal.timeout(5000));

    await expect(act).rejects.toMatchObject({
      code: AgentErrorCode.NpmRegistryUnavailable,
      message: expect.stringMatching(/ECONNREFUSED.*AGENT_NPM_REGISTRY/),
    });
  });
});

describe(parseNpmRegistryKeys.name, () => {
  it.each([
    ['not JSON', 'nope', /expected JSON/],
    ['no keys', '{"keys":[]}', /expected \{"keys"/],
    [
      'another key type',
      JSON.stringify({ keys: [{ ...generateNpmSigningKey().json, keytype: 'ed25519' }] }),
      /expected \{"keys"/,
    ],
    [
      'a key that is no public key',
      JSON.stringify({ keys: [{ ...generateNpmSigningKey().json, key: 'AAAA' }] }),
      /not a base64 DER public key/,
    ],
  ])('refuses %s, saying what is expected', (_what, text, message) => {
    expect(() => parseNpmRegistryKeys(text)).toThrow(message);
  });

  it('reads the registry answer', () => {
    const key = generateNpmSigningKey();

    const sut = parseNpmRegistryKeys(JSON.stringify({ keys: [key.json] }));

    expect(sut).toEqual([expect.objectContaining({ keyid: key.keyid })]);
  });
});

describe(packumentUrl.name, () => {
  it('keeps the registry path and encodes a scoped name', () => {
    expect(packumentUrl('https://r.example/npm/', '@acme/app')).toBe('https://r.example/npm/@acme%2Fapp');
  });
});
