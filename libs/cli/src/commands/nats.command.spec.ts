import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsServerBinary } from '@lockstep/testing';
import { run } from '../program';

interface Written {
  identities: { name: string; publicKey: string; created: boolean }[];
  keptNodes: string[];
  serverConfigWritten: boolean;
}

/** `lockstep nats config` through `run`, into a temporary directory. */
describe('lockstep nats config', () => {
  let dir: string;
  let out: string;
  let err: string;
  const lockstep = (...argv: string[]) =>
    run(argv, { io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) }, env: {} });
  const config = async (...extra: string[]): Promise<Written> => {
    out = '';
    const code = await lockstep('nats', 'config', '--out', dir, '--json', ...extra);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    return JSON.parse(out) as Written;
  };
  const keyOf = (w: Written, name: string) => w.identities.find((i) => i.name === name)?.publicKey;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-nats-config-'));
    out = '';
    err = '';
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes auth.conf, an example server config and one 0600 seed per identity', async () => {
    const sut = await config('--namespace', 'shop', '--nodes', 'web-1,web-2', '--admin');

    expect(sut.identities.map((i) => i.name)).toEqual([
      'scheduler',
      'checker',
      'notifier',
      'api',
      'backup',
      'agent-web-1',
      'agent-web-2',
      'admin',
    ]);
    const auth = readFileSync(join(dir, 'auth.conf'), 'utf8');
    for (const i of sut.identities) {
      expect(auth).toContain(`# ${i.name}\n    {\n      nkey: "${i.publicKey}"`);
      expect(statSync(join(dir, `${i.name}.nk`)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, `${i.name}.nk`), 'utf8')).toMatch(/^SU[A-Z2-7]+\n$/);
    }
    expect(auth).toContain('"shop.evt.node.install.progress.v1.web-1"');
    // no seed reaches the server's config (a regex for seeds also matches inside public keys)
    for (const i of sut.identities) expect(auth).not.toContain(readFileSync(join(dir, `${i.name}.nk`), 'utf8').trim());
    expect(readFileSync(join(dir, 'nats-server.conf'), 'utf8')).toContain('include "auth.conf"');
  });

  it('writes a config nats-server accepts', async () => {
    await config('--nodes', 'a', '--admin');
    writeFileSync(
      join(dir, 'nats-server.conf'),
      readFileSync(join(dir, 'nats-server.conf'), 'utf8').replace('/var/lib/nats/jetstream', join(dir, 'js')),
    );

    const sut = spawnSync(natsServerBinary(), ['-t', '-c', join(dir, 'nats-server.conf')], { encoding: 'utf8' });

    expect({ status: sut.status, output: sut.stdout + sut.stderr }).toEqual({ status: 0, output: expect.any(String) });
  });

  it('keeps every key on a second run, adds new nodes and keeps nodes whose seed is there', async () => {
    const first = await config('--nodes', 'a,b');
    writeFileSync(join(dir, 'nats-server.conf'), '# edited by the operator\n');

    const sut = await config('--nodes', 'c');

    expect(sut.identities.filter((i) => i.created).map((i) => i.name)).toEqual(['agent-c']);
    for (const i of first.identities) expect(keyOf(sut, i.name)).toBe(i.publicKey);
    expect(sut.keptNodes).toEqual(['a', 'b']);
    expect(sut.serverConfigWritten).toBe(false);
    expect(readFileSync(join(dir, 'nats-server.conf'), 'utf8')).toBe('# edited by the operator\n');
  });

  it('prints the keys and the reload hint', async () => {
    const code = await lockstep('nats', 'config', '--out', dir, '--nodes', 'a');

    expect(code).toBe(0);
    expect(out).toMatch(/agent-a +U[A-Z2-7]+ +.*agent-a\.nk \(new\)/);
    expect(out).toContain('nats-server --signal reload');
  });

  it.each([
    [['--nodes', 'a,Bad'], /--nodes: "Bad" is not a node id .*give the NODE_ID/],
    [['--namespace', 'Lock-Step'], /--namespace "Lock-Step": expected a lowercase name.*NATS_NAMESPACE/],
  ])('refuses %j and says what to give', async (extra, message) => {
    const code = await lockstep('nats', 'config', '--out', dir, ...extra);

    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('refuses a seed file that holds no user seed', async () => {
    writeFileSync(join(dir, 'api.nk'), 'not a seed\n');

    const code = await lockstep('nats', 'config', '--out', dir);

    expect(code).toBe(2);
    expect(err).toMatch(/api\.nk holds no NATS user seed .*move it away/);
  });
});
