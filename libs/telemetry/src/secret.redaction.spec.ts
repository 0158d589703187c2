import { REDACTED, redactSecrets } from './secret.redaction';

describe(redactSecrets.name, () => {
  it.each([
    [
      'a webhook secret',
      'signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw now',
      `signing with whsec_${REDACTED} now`,
    ],
    [
      'a URL password',
      'connect postgres://lockstep:s3cr3t@db:5432/app failed',
      `connect postgres://lockstep:${REDACTED}@db:5432/app failed`,
    ],
    ['a nats URL password', 'nats://svc:pa%40ss@127.0.0.1:4222', `nats://svc:${REDACTED}@127.0.0.1:4222`],
    [
      'a Slack webhook path',
      'POST https://hooks.slack.com/services/T000/B000/XXXXyyyy',
      `POST https://hooks.slack.com/services/${REDACTED}`,
    ],
    [
      'a Discord webhook token',
      'https://discord.com/api/webhooks/123456/abcDEF-ghi_jkl',
      `https://discord.com/api/webhooks/123456/${REDACTED}`,
    ],
    [
      'an S3 presigned signature',
      'GET /b/k?X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=deadbeef',
      `GET /b/k?X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}`,
    ],
    [
      'an NKey user seed',
      'seed SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4 read',
      `seed ${REDACTED} read`,
    ],
    ['a Bearer token', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc', `Authorization: Bearer ${REDACTED}`],
  ])('masks %s', (_what, input, expected) => {
    const result = redactSecrets(input);

    expect(result).toBe(expected);
  });

  it.each([
    ['a URL without credentials', 'http://127.0.0.1:4318/v1/traces'],
    ['a host:port pair', 'listening on 127.0.0.1:8080'],
    ['an e-mail address', 'notify ops@example.com'],
    ['an NKey public key', 'user UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 connected'],
  ])('leaves %s alone', (_what, input) => {
    const result = redactSecrets(input);

    expect(result).toBe(input);
  });

  it('keeps a JSON line valid JSON', () => {
    const line = JSON.stringify({ msg: 'url postgres://u:p@h/db and whsec_abc+/= and \n postgres://x:y\\z@h' });

    const result = redactSecrets(line);

    expect(() => JSON.parse(result)).not.toThrow();
    expect(result).not.toContain('whsec_abc');
    expect(result).not.toContain('u:p@');
  });
});
