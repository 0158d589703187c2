import { AllowList, createGuardedFetch } from '@lockstep/net-guard';
import { generateKeySet, trustedRootFor, TufRepositoryWriter } from '@lockstep/releases';
import { MinioObjectStore, type ObjectStore } from '@lockstep/storage';
import { buildDemoArtifact, startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentErrorCode } from '../errors';
import { TufArtifactVerifier } from './tuf-artifact-verifier';

const COMPONENT = 'demo';

/** The agent's TUF check against a real repository on s3rver, with a state directory on disk. */
describe(TufArtifactVerifier.name, () => {
  let s3: S3ServerHandle;
  let work: string;
  let store: ObjectStore;
  let uri: string;
  let facts: { sha256: string; length: number };
  let foreignRoot: Buffer;
  let sut: TufArtifactVerifier;

  const storeOf = async (bucket: string) => {
    const s = new MinioObjectStore({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, bucket });
    await s.ensureBucket();
    return s;
  };
  const publish = (into: ObjectStore, keys = generateKeySet()) =>
    new TufRepositoryWriter().publish({
      store: into,
      component: COMPONENT,
      artifact: buildDemoArtifact('1.0.0'),
      version: '1.0.0',
      channel: 'stable',
      keys,
    });

  beforeAll(async () => {
    s3 = await startS3Server();
    store = await storeOf(uniqueName('tufv-'));
    const published = await publish(store);
    uri = `s3://${store.bucket}/${published.artifactKey}`;
    facts = { sha256: published.sha256, length: published.length };
    // another publisher's repository of the same component: its root is self-signed, but by other keys
    const other = await storeOf(uniqueName('tufv-other-'));
    await publish(other);
    foreignRoot = await trustedRootFor(other, COMPONENT);
  });
  afterAll(async () => {
    await s3?.stop(true);
  });
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'tuf-verify-'));
    sut = new TufArtifactVerifier({
      pinnedRoot: await trustedRootFor(store, COMPONENT),
      stateDir: work,
      storeFor: () => store,
      timeoutMs: 10_000,
      fetch: createGuardedFetch({ allowList: AllowList.none('AGENT_ALLOWED_DESTINATIONS') }),
    });
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it('verifies a published artifact, run after run', async () => {
    await sut.verify(COMPONENT, '1.0.0', uri, facts);

    await expect(sut.verify(COMPONENT, '1.0.0', uri, facts)).resolves.toBeUndefined();
  });

  it('says before any download that an http artifact cannot be vouched for without AGENT_TUF_METADATA_URL', () => {
    const act = () => sut.assertCovers(COMPONENT, 'http://artifacts.example/demo-6.6.6.tgz');

    expect(act).toThrow(expect.objectContaining({ code: AgentErrorCode.TufNotConfigured, step: 'preflight' }));
    expect(act).toThrow(/AGENT_TUF_METADATA_URL.*Nothing was downloaded/);
    expect(() => sut.assertCovers(COMPONENT, uri)).not.toThrow();
  });

  it('refuses when the root.json kept in the state directory was swapped for one that does not chain from the pinned root', async () => {
    await sut.verify(COMPONENT, '1.0.0', uri, facts);
    await writeFile(join(work, 'tuf', COMPONENT, 'root.json'), foreignRoot);

    const act = sut.verify(COMPONENT, '1.0.0', uri, facts);

    await expect(act).rejects.toMatchObject({
      code: AgentErrorCode.TufRootChainBroken,
      step: 'verifying',
      message: expect.stringMatching(/does not chain from the pinned root \(AGENT_TRUSTED_ROOT\).*remove .*tuf\/demo/),
    });
  });
});
