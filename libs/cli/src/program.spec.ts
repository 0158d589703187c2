import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ObjectNotFoundError, type ObjectInfo, type ObjectStore } from '@lockstep/storage';
import { markOnlineRefresher, parseOnlineKeySet } from '@lockstep/releases';
import { run } from './program';

/** An in-memory bucket, so release commands run without an S3 server. */
class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  constructor(readonly bucket = 'lockstep') {}
  async ensureBucket(): Promise<void> {}
  async put(key: string, body: Buffer | string): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }
  async putWithDigest(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }
  async putStream(key: string, body: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    this.objects.set(key, Buffer.concat(chunks));
  }
  async get(key: string): Promise<Buffer> {
    const b = this.objects.get(key);
    if (!b) throw new ObjectNotFoundError(this.bucket, key);
    return b;
  }
  async getStream(key: string): Promise<Readable> {
    return Readable.from(await this.get(key));
  }
  async stat(key: string): Promise<ObjectInfo | undefined> {
    const b = this.objects.get(key);
    return b && { key, size: b.length, etag: createHash('md5').update(b).digest('hex'), lastModified: new Date() };
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix))
      .map((key) => ({ key, size: this.objects.get(key)!.length, etag: '', lastModified: new Date() }));
  }
  async remove(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

interface Sent {
  method: string;
  url: string;
  body: unknown;
}

const PASSPHRASE = 'test passphrase, long enough';

describe(run.name, () => {
  let work: string;
  let store: MemoryObjectStore;
  let sent: Sent[];
  let answer: (req: Sent) => Response | Promise<Response>;
  let out: string;
  let err: string;

  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const lockstep = (...argv: string[]) =>
    run(argv, {
      io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) },
      env: { LOCKSTEP_API_URL: 'http://api.test', LOCKSTEP_KEYS_DIR: work, LOCKSTEP_KEYS_PASSPHRASE: PASSPHRASE },
      fetch: (async (url: string, init: RequestInit) => {
        const req = {
          method: String(init.method),
          url: String(url),
          body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
        };
        sent.push(req);
        return answer(req);
      }) as unknown as typeof fetch,
      openStore: () => store,
    });

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'lockstep-cli-spec-'));
    store = new MemoryObjectStore();
    sent = [];
    answer = () => json(200, { items: [] });
    out = '';
    err = '';
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  describe('usage errors exit 2 and send nothing', () => {
    it.each([
      [
        ['subscriptions', 'add', '--channel', 'teams', '--url', 'https://x'],
        /argument 'teams' is invalid\. Allowed choices are webhook, slack, discord/,
      ],
      [['subscriptions', 'add', '--channel', 'webhook'], /required option '--url <url>' not specified/],
      [
        ['components', 'add', 'demo', '--source', 'npm', '--package', 'app', '--current', '1.0'],
        /"1\.0" is not a valid semver version; expected/,
      ],
      [
        ['components', 'add', 'Demo', '--source', 'npm', '--package', 'app'],
        /component "Demo": component names are lowercase/,
      ],
      [['deliveries', '--limit', '0'], /--limit must be a whole number from 1 to 200/],
      [['deliveries', '--status', 'lost'], /Allowed choices are pending, delivered, dead, cancelled/],
      [
        ['dead-letters', 'replay'],
        /choose exactly one of --delivery ID, --subscription ID, --message SEQ, --outbox ID or --all/,
      ],
      [['subscriptions', 'rm', 'ops'], /"ops" is not a subscription id/],
      [['components', '--api', 'ftp://x'], /must start with http:\/\/ or https:\/\//],
      [
        ['release', 'publish', 'missing.tar.gz', '--component', 'demo', '--version', '1.0.0', '--channel', 'stable'],
        /artifact missing\.tar\.gz cannot be read \(ENOENT\)/,
      ],
      [
        ['release', 'publish', 'x.tgz', '--component', 'demo', '--version', '1.0.0', '--channel', 'nightly'],
        /Allowed choices are stable, beta, alpha/,
      ],
      [['nonsense'], /unknown command 'nonsense'/],
      [[], /Usage: lockstep/],
    ])('lockstep %j', async (argv, message) => {
      const code = await lockstep(...argv);

      expect(code).toBe(2);
      expect(err).toMatch(message);
      expect(sent).toEqual([]);
    });

    it('rejects a version outside the chosen scheme before reading keys or the bucket', async () => {
      const artifact = join(work, 'a.tgz');
      await writeFile(artifact, 'bytes');

      const code = await lockstep(
        'release',
        'publish',
        artifact,
        '--component',
        'demo',
        '--version',
        '1.2.3',
        '--channel',
        'stable',
        '--scheme',
        'abr',
      );

      expect(code).toBe(2);
      expect(err).toMatch(/"1\.2\.3" is not a valid abr version/);
      expect(store.objects.size).toBe(0);
    });
  });

  it('prints help with exit 0', async () => {
    expect(await lockstep('--help')).toBe(0);
    expect(out).toMatch(/Exit codes: 0 ok, 1 the command failed/);
  });

  it('sends list filters as query parameters and prints the answer as JSON', async () => {
    answer = () => json(200, { items: [{ id: 'msg_1' }] });

    const code = await lockstep(
      'deliveries',
      '--subscription',
      '6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60',
      '--status',
      'dead',
      '--limit',
      '5',
      '--json',
    );

    expect(code).toBe(0);
    expect(sent).toEqual([
      {
        method: 'GET',
        url: 'http://api.test/v1/deliveries?subscription=6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60&status=dead&limit=5',
        body: undefined,
      },
    ]);
    expect(JSON.parse(out)).toEqual([{ id: 'msg_1' }]);
  });

  it('registers an npm component with PUT /v1/components/:name', async () => {
    answer = () =>
      json(200, {
        name: 'web',
        sourceType: 'npm',
        source: { package: 'app' },
        channel: 'beta',
        scheme: 'semver',
        currentVersion: '1.0.0',
        lastCheckedAt: null,
        lastError: null,
      });

    const code = await lockstep(
      'components',
      'add',
      'web',
      '--source',
      'npm',
      '--package',
      'app',
      '--current',
      '1.0.0',
      '--channel',
      'beta',
    );

    expect(code).toBe(0);
    expect(sent[0]).toEqual({
      method: 'PUT',
      url: 'http://api.test/v1/components/web',
      body: {
        scheme: 'semver',
        channel: 'beta',
        currentVersion: '1.0.0',
        sourceType: 'npm',
        sourceConfig: { package: 'app' },
      },
    });
    expect(out).toMatch(/^registered web\nsource: +npm app\n/);
  });

  it('exits 1 when a check failed, after printing every result', async () => {
    answer = () =>
      json(200, {
        results: [
          { component: 'a', ok: true, announced: ['1.1.0'] },
          {
            component: 'b',
            ok: false,
            announced: [],
            error: { code: 'METADATA_EXPIRED', reason: 'timestamp.json expired' },
          },
        ],
      });

    const code = await lockstep('check');

    expect(code).toBe(1);
    expect(sent[0]).toMatchObject({ method: 'POST', url: 'http://api.test/v1/checks', body: {} });
    expect(out).toMatch(/a\s+ok\s+1\.1\.0/);
    expect(out).toMatch(/b\s+failed \(METADATA_EXPIRED\)\s+nothing new\s+timestamp\.json expired/);
  });

  it("prints the API's error message on stderr and exits 1; as JSON with --json", async () => {
    answer = () =>
      json(502, { code: 'SERVICE_UNAVAILABLE', detail: 'the notifier is not running or not reachable over NATS' });

    const text = await lockstep('subscriptions', 'add', '--channel', 'webhook', '--url', 'https://example.com/h');
    const textErr = err;
    err = '';
    const machine = await lockstep(
      'subscriptions',
      'add',
      '--channel',
      'webhook',
      '--url',
      'https://example.com/h',
      '--json',
    );

    expect([text, machine]).toEqual([1, 1]);
    expect(textErr).toBe('error: the notifier is not running or not reachable over NATS\n');
    expect(JSON.parse(err)).toEqual({
      error: { code: 'SERVICE_UNAVAILABLE', message: 'the notifier is not running or not reachable over NATS' },
    });
    expect(out).toBe('');
  });

  it('writes keys once and refuses to overwrite them', async () => {
    const first = await lockstep('keys', 'init', '--json');
    const second = await lockstep('keys', 'init');

    expect(first).toBe(0);
    expect(JSON.parse(out)).toEqual({
      path: join(work, 'lockstep-tuf-keys.json'),
      onlinePath: join(work, 'lockstep-tuf-online-keys.json'),
      createdAt: expect.any(String),
      keyIds: {
        root: expect.stringMatching(/^[0-9a-f]{64}$/),
        targets: expect.any(String),
        snapshot: expect.any(String),
        timestamp: expect.any(String),
      },
    });
    expect(out).not.toMatch(/PRIVATE/);
    expect(second).toBe(1);
    expect(err).toMatch(/lockstep-tuf-keys\.json already exists/);
    expect(readFileSync(join(work, 'lockstep-tuf-keys.json'), 'utf8')).not.toMatch(/PRIVATE KEY/);
  });

  it('keys init without a passphrase says which setting to give', async () => {
    const code = await run(['keys', 'init'], {
      io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) },
      env: { LOCKSTEP_KEYS_DIR: work },
    });

    expect(code).not.toBe(0);
    expect(err).toMatch(/set LOCKSTEP_KEYS_PASSPHRASE_FILE/);
  });

  describe('release publish', () => {
    const publish = async (...extra: string[]) => {
      const artifact = join(work, 'demo.tar.gz');
      await writeFile(artifact, Buffer.from('release bytes'));
      return lockstep(
        'release',
        'publish',
        artifact,
        '--component',
        'demo',
        '--version',
        '1.0.0',
        '--channel',
        'stable',
        '--security',
        ...extra,
      );
    };

    beforeEach(async () => {
      await lockstep('keys', 'init');
      out = '';
    });

    it('publishes into the bucket, prints target, sha256 and length, and asks the API to check', async () => {
      answer = () => json(200, { results: [{ component: 'demo', ok: true, announced: ['1.0.0'] }] });

      const code = await publish();

      expect(code).toBe(0);
      expect(out).toMatch(/^published demo 1\.0\.0\ntarget: +demo-1\.0\.0\.tar\.gz\n/);
      expect(out).toContain(`sha256:   ${createHash('sha256').update('release bytes').digest('hex')}`);
      expect(out).toMatch(/length: +13 bytes/);
      expect(out).toMatch(/check: +announced 1\.0\.0/);
      expect(sent).toEqual([{ method: 'POST', url: 'http://api.test/v1/checks', body: { component: 'demo' } }]);
      expect(store.objects.has('components/demo/artifacts/demo-1.0.0.tar.gz')).toBe(true);
    });

    it('only warns when the API cannot be reached: the release is published', async () => {
      answer = () => {
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      };

      const code = await publish('--json');

      expect(code).toBe(0);
      expect(JSON.parse(out)).toMatchObject({
        outcome: 'published',
        component: 'demo',
        version: '1.0.0',
        targetPath: 'demo-1.0.0.tar.gz',
        length: 13,
        check: null,
      });
      expect(err).toMatch(/^warning: published, but the API could not check demo now: cannot reach the Lockstep API/);
    });

    it('does not call the API with --no-check', async () => {
      expect(await publish('--no-check')).toBe(0);
      expect(sent).toEqual([]);
    });

    it('prints the root.json to pin, byte for byte', async () => {
      await publish('--no-check');
      out = '';

      const code = await lockstep('release', 'root', '--component', 'demo');

      expect(code).toBe(0);
      expect(out).toBe(store.objects.get('components/demo/tuf/root.json')!.toString('utf8'));
    });

    it('re-signs targets, snapshot and timestamp by hand with release refresh', async () => {
      await publish('--no-check');
      out = '';

      const code = await lockstep('release', 'refresh', '--component', 'demo', '--json');

      expect(code).toBe(0);
      expect(JSON.parse(out)).toMatchObject({
        component: 'demo',
        versions: { root: 1, targets: 2, snapshot: 2, timestamp: 2 },
        expires: { timestamp: expect.stringMatching(/^\d{4}-/) },
      });
    });

    it('keys rotate --role timestamp gives every component root v2 with the new key and rewrites the online key file', async () => {
      await publish('--no-check');
      const before = readFileSync(join(work, 'lockstep-tuf-online-keys.json'), 'utf8');
      out = '';

      const code = await lockstep('keys', 'rotate', '--role', 'timestamp', '--json');

      const result = JSON.parse(out) as { keyId: string; rotated: string[]; replacedPath: string };
      const root = JSON.parse(store.objects.get('components/demo/tuf/root.json')!.toString('utf8')) as {
        signed: { version: number; roles: { timestamp: { keyids: string[] } } };
      };
      expect(code).toBe(0);
      expect(result.rotated).toEqual(['demo']);
      expect(root.signed.version).toBe(2);
      expect(root.signed.roles.timestamp.keyids).toEqual([result.keyId]);
      expect(readFileSync(join(work, 'lockstep-tuf-online-keys.json'), 'utf8')).not.toBe(before);
      expect(readFileSync(result.replacedPath, 'utf8')).not.toMatch(/PRIVATE KEY/);
      expect(await publish('--no-check', '--version', '1.0.1')).toBe(0);
    });

    it('signs a timestamp that lasts as long as targets until a checker holding the online keys marks the component, then one that lasts a day', async () => {
      const DAY = 24 * 3600_000;
      const timestampLeft = () =>
        Date.parse(
          (
            JSON.parse(store.objects.get('components/demo/tuf/timestamp.json')!.toString('utf8')) as {
              signed: { expires: string };
            }
          ).signed.expires,
        ) - Date.now();
      await publish('--no-check');
      const unrefreshed = timestampLeft();
      const online = parseOnlineKeySet(readFileSync(join(work, 'lockstep-tuf-online-keys.json'), 'utf8'));
      await markOnlineRefresher(store, 'demo', online, new Date());

      const code = await publish('--no-check', '--version', '1.0.1');

      expect(code).toBe(0);
      expect(unrefreshed).toBeGreaterThan(364 * DAY);
      expect(timestampLeft()).toBeLessThanOrEqual(DAY);
    });

    it('refresh of a component never published says to publish first', async () => {
      const code = await lockstep('release', 'refresh', '--component', 'ghost');

      expect(code).toBe(1);
      expect(err).toMatch(/ghost has no TUF metadata.*publish a release first/);
    });

    it('fails with exit 1 when the key file is missing', async () => {
      const code = await publish('--keys', join(work, 'none.json'));

      expect(code).toBe(1);
      expect(err).toMatch(/cannot read key file .*none\.json.*lockstep keys init/);
    });
  });
});
