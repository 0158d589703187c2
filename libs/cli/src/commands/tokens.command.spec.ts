import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeApiCli, jsonResponse, problemResponse, type SentRequest } from '../testing/fake-api';

const TOKEN = `lst_00112233445566ff_${'b'.repeat(43)}`;
const view = {
  id: '00112233445566ff',
  name: 'ci',
  role: 'operator',
  components: ['demo'],
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'bootstrap',
  expiresAt: null,
  revokedAt: null,
  lastUsedAt: null,
};

/** `lockstep tokens …` and `lockstep login` through `run`, against a fake API and a temporary config directory. */
describe('lockstep tokens', () => {
  let sent: SentRequest[];
  let answer: (req: SentRequest) => Response;
  let out: string;
  let err: string;
  let config: string;

  const cli = (env: Record<string, string> = {}) =>
    fakeApiCli(
      { LOCKSTEP_API_URL: 'http://api.test', XDG_CONFIG_HOME: config, ...env },
      {
        onRequest: (req) => (sent.push(req), answer(req)),
        stdout: (t) => void (out += t),
        stderr: (t) => void (err += t),
        sleep: () => undefined,
        now: () => Date.parse('2026-01-02T00:00:00Z'),
      },
    );

  beforeEach(() => {
    sent = [];
    out = '';
    err = '';
    config = mkdtempSync(join(tmpdir(), 'lockstep-cli-token-'));
    answer = () => jsonResponse(200, { items: [view] });
  });
  afterEach(() => rmSync(config, { recursive: true, force: true }));

  it('creates a token with role, components and lifetime, and prints it once', async () => {
    answer = () => jsonResponse(201, { ...view, token: TOKEN });

    const code = await cli()([
      'tokens',
      'create',
      '--name',
      'ci',
      '--role',
      'operator',
      '--components',
      'demo',
      '--expires',
      '90d',
    ]);

    expect(code).toBe(0);
    expect(sent[0]).toEqual({
      method: 'POST',
      url: 'http://api.test/v1/tokens',
      body: { name: 'ci', role: 'operator', components: ['demo'], expires: '90d' },
    });
    expect(out).toContain(TOKEN);
  });

  it.each([
    [['--name', 'ci', '--role', 'admin'], /role/],
    [['--name', 'ci', '--role', 'viewer', '--expires', '90 days'], /12h, 90d or 52w/],
  ])('refuses %j before sending anything', async (args, message) => {
    const code = await cli()(['tokens', 'create', ...args]);

    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('lists tokens without their secrets and revokes one by id', async () => {
    const listed = await cli()(['tokens', 'list']);
    answer = () => jsonResponse(200, { ...view, revokedAt: '2026-01-02T00:00:00.000Z' });
    const revoked = await cli()(['tokens', 'revoke', view.id]);

    expect([listed, revoked]).toEqual([0, 0]);
    expect(out).toMatch(/00112233445566ff\s+ci\s+operator\s+demo/);
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET http://api.test/v1/tokens',
      'DELETE http://api.test/v1/tokens/00112233445566ff',
    ]);
  });

  it('saves a token with login (mode 0600) and sends it on later commands', async () => {
    const bootstrap = join(config, 'bootstrap-token');
    writeFileSync(bootstrap, `${TOKEN}\n`, { mode: 0o600 });
    const seen: Array<string | null> = [];

    const login = await cli({ LOCKSTEP_TOKEN: '' })(['login', '--token-file', bootstrap]);
    const list = await fakeApiCli(
      { LOCKSTEP_API_URL: 'http://api.test', XDG_CONFIG_HOME: config, LOCKSTEP_TOKEN: '' },
      {
        onRequest: (req) => (seen.push(req.url), jsonResponse(200, { items: [] })),
        stdout: () => undefined,
        stderr: (t) => void (err += t),
        sleep: () => undefined,
        now: () => 0,
      },
    )(['tokens', 'list']);

    const saved = join(config, 'lockstep', 'token');
    expect([login, list]).toEqual([0, 0]);
    expect(readFileSync(saved, 'utf8').trim()).toBe(TOKEN);
    expect(statSync(saved).mode & 0o777).toBe(0o600);
    expect(seen).toEqual(['http://api.test/v1/tokens']);
  });

  it('saves nothing when the API refuses the token', async () => {
    answer = () => problemResponse(401, 'TOKEN_REVOKED', 'token 00112233445566ff (ci) was revoked');

    const code = await cli({ LOCKSTEP_TOKEN: '' })(['login', '--token', TOKEN]);

    expect(code).toBe(1);
    expect(err).toMatch(/was revoked/);
    expect(existsSync(join(config, 'lockstep', 'token'))).toBe(false);
  });

  it('refuses a token file others may read, saying how to fix it', async () => {
    const file = join(config, 'lockstep', 'token');
    await cli({ LOCKSTEP_TOKEN: '' })(['login', '--token', TOKEN]);
    chmodSync(file, 0o644);
    sent = [];

    const code = await cli({ LOCKSTEP_TOKEN: '' })(['tokens', 'list']);

    expect(code).toBe(2);
    expect(err).toContain(`chmod 600 ${file}`);
    expect(sent).toEqual([]);
  });

  it('passes a 403 on with the role it needs', async () => {
    answer = () => problemResponse(403, 'ROLE_TOO_LOW', 'this request needs the owner role; token x (ci) has operator');

    const code = await cli()(['tokens', 'list']);

    expect(code).toBe(1);
    expect(err).toBe('error: this request needs the owner role; token x (ci) has operator\n');
  });
});
