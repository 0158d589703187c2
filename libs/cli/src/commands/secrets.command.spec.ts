import { parseSecretKey } from '@lockstep/config';
import { fakeApiCli, jsonResponse, type SentRequest } from '../testing/fake-api';

/** `lockstep secrets …` through `run`, against a fake API. */
describe('lockstep secrets', () => {
  let sent: SentRequest[];
  let answer: (req: SentRequest) => Response;
  let out: string;
  let err: string;
  const lockstep = fakeApiCli(
    { LOCKSTEP_API_URL: 'http://api.test' },
    {
      onRequest: (req) => (sent.push(req), answer(req)),
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      sleep: () => undefined,
      now: () => 0,
    },
  );

  beforeEach(() => {
    sent = [];
    out = '';
    err = '';
  });

  it('generate-key prints a key LOCKSTEP_SECRET_KEY accepts, different each time', async () => {
    await lockstep(['secrets', 'generate-key']);
    await lockstep(['secrets', 'generate-key']);

    const [a, b] = out.trim().split('\n');
    expect(parseSecretKey(a)).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(sent).toEqual([]);
  });

  it('rotate asks POST /v1/secrets/rotate and says how many rows were re-sealed', async () => {
    answer = () => jsonResponse(200, { keyId: 'ab12cd34', resealed: 3, remaining: 0, problems: [] });

    const code = await lockstep(['secrets', 'rotate']);

    expect(code).toBe(0);
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual(['POST http://api.test/v1/secrets/rotate']);
    expect(out).toBe(
      're-sealed 3 rows under key ab12cd34\nevery secret is sealed under the current key: LOCKSTEP_SECRET_KEY_PREVIOUS may be removed\n',
    );
  });

  it('rotate --json prints the reply, and names what is left', async () => {
    const reply = { keyId: 'ab12cd34', resealed: 1, remaining: 1, problems: ['subscription x: sealed under key ff'] };
    answer = () => jsonResponse(200, reply);

    await lockstep(['secrets', 'rotate', '--json']);

    expect(JSON.parse(out)).toEqual(reply);
  });

  it('rotate shows the notifier refusal when it has no key', async () => {
    answer = () =>
      jsonResponse(400, { error: { code: 'SECRET_KEY_MISSING', message: 'the notifier has no LOCKSTEP_SECRET_KEY' } });

    const code = await lockstep(['secrets', 'rotate']);

    expect(code).not.toBe(0);
    expect(err).toContain('LOCKSTEP_SECRET_KEY');
  });
});
