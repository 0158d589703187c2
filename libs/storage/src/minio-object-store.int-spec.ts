import { createHash, randomBytes } from 'node:crypto';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { MinioObjectStore, ObjectNotFoundError } from '@lockstep/storage';

describe(MinioObjectStore.name, () => {
  let s3: S3ServerHandle;
  let sut: MinioObjectStore;

  beforeAll(async () => {
    s3 = await startS3Server();
    sut = new MinioObjectStore({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, bucket: uniqueName('b') });
    await sut.ensureBucket();
    await sut.ensureBucket();
  });
  afterAll(() => s3.stop(true));

  it('round-trips, lists and removes objects', async () => {
    await sut.put('a/one.txt', 'hello');
    await sut.put('a/two.txt', Buffer.from('world'));

    const listed = await sut.list('a/');
    const got = await sut.get('a/one.txt');
    await sut.remove('a/one.txt');

    expect(listed.map((o) => o.key).sort()).toEqual(['a/one.txt', 'a/two.txt']);
    expect(got.toString()).toBe('hello');
    expect(await sut.stat('a/one.txt')).toBeUndefined();
    await expect(sut.get('a/one.txt')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('stores an object under a digest the caller computed, and refuses a malformed digest', async () => {
    const body = randomBytes(70_000);
    const digest = createHash('sha256').update(body).digest('hex');

    await sut.putWithDigest(`packs/${digest}`, body, digest);

    expect((await sut.get(`packs/${digest}`)).equals(body)).toBe(true);
    await expect(sut.putWithDigest('packs/x', body, 'not-a-digest')).rejects.toThrow(/not a sha256 digest/);
    await expect(sut.putWithDigest('big', Buffer.alloc(16 * 1024 * 1024 + 1), digest)).rejects.toThrow(/at most/);
  });

  it('refuses objects over 16 MiB', async () => {
    await expect(sut.put('big', Buffer.alloc(16 * 1024 * 1024 + 1))).rejects.toThrow(/at most/);
  });
});
