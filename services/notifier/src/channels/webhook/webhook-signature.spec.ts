import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateWebhookSecret, InvalidWebhookSecretError, isWebhookSecret, signWebhook } from './webhook-signature';

describe(signWebhook.name, () => {
  const body = JSON.stringify({
    specversion: '1.0',
    id: 'evt-1',
    type: 'io.lockstep.release.available.v1',
    data: { text: 'héllo ✓' },
  });
  const now = () => Math.floor(Date.now() / 1000);
  const headers = (id: string, ts: number, signature: string) => ({
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': signature,
  });

  it('produces a signature the standardwebhooks package verifies, for string and Buffer bodies', () => {
    const secret = generateWebhookSecret();
    const ts = now();

    const fromString = signWebhook([secret], 'msg_1', ts, body);
    const fromBuffer = signWebhook([secret], 'msg_1', ts, Buffer.from(body));

    expect(fromString).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(fromBuffer).toBe(fromString);
    expect(new Webhook(secret).verify(body, headers('msg_1', ts, fromString))).toEqual(JSON.parse(body));
    expect(fromString).toBe(new Webhook(secret).sign('msg_1', new Date(ts * 1000), body));
  });

  it.each([
    ['a tampered body', (s: string, ts: number) => [body.replace('héllo', 'hello'), headers('msg_1', ts, s)] as const],
    ['another id', (s: string, ts: number) => [body, headers('msg_2', ts, s)] as const],
    ['another timestamp', (s: string, ts: number) => [body, headers('msg_1', ts - 1, s)] as const],
  ])('fails verification for %s', (_name, tamper) => {
    const secret = generateWebhookSecret();
    const ts = now();
    const [payload, hdrs] = tamper(signWebhook([secret], 'msg_1', ts, body), ts);

    const act = () => new Webhook(secret).verify(payload, hdrs);

    expect(act).toThrow(WebhookVerificationError);
  });

  it('signs with every secret during rotation, and each receiver secret verifies', () => {
    const [current, previous] = [generateWebhookSecret(), generateWebhookSecret(48)];
    const ts = now();

    const sut = signWebhook([current, previous], 'msg_1', ts, body);

    expect(sut.split(' ')).toHaveLength(2);
    expect(sut.split(' ').every((s) => s.startsWith('v1,'))).toBe(true);
    expect(() => new Webhook(current).verify(body, headers('msg_1', ts, sut))).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers('msg_1', ts, sut))).not.toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers('msg_1', ts, sut))).toThrow(
      WebhookVerificationError,
    );
  });

  it('refuses a malformed secret without repeating it', () => {
    const secret = 'whsec_tooShortButSecret';

    const act = () => signWebhook([secret], 'msg_1', now(), body);

    expect(act).toThrow(InvalidWebhookSecretError);
    expect(act).toThrow(expect.objectContaining({ message: expect.not.stringContaining('tooShortButSecret') }));
  });
});

describe(generateWebhookSecret.name, () => {
  it.each([24, 32, 64])('makes a whsec_ secret of %i random bytes', (bytes) => {
    const sut = generateWebhookSecret(bytes);

    expect(sut).toMatch(/^whsec_/);
    expect(Buffer.from(sut.slice(6), 'base64')).toHaveLength(bytes);
    expect(isWebhookSecret(sut)).toBe(true);
    expect(sut).not.toBe(generateWebhookSecret(bytes));
  });

  it.each([16, 65])('refuses %i bytes', (bytes) => {
    expect(() => generateWebhookSecret(bytes)).toThrow(RangeError);
  });
});

describe(isWebhookSecret.name, () => {
  it.each([
    ['whsec_' + Buffer.alloc(32, 1).toString('base64'), true],
    [Buffer.alloc(32, 1).toString('base64'), false],
    ['whsec_' + Buffer.alloc(16, 1).toString('base64'), false],
    ['whsec_not base64!!', false],
    [42, false],
  ])('%j is %s', (value, expected) => {
    expect(isWebhookSecret(value)).toBe(expected);
  });
});
