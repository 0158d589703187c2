import { parseRetryAfter, parseRetryAfterBody } from './retry-after';

describe(parseRetryAfter.name, () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    ['120', 120_000],
    ['0', 0],
    ['1.5', 1500],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0],
    [['7', '9'], 7000],
    [undefined, undefined],
    ['', undefined],
    ['soon', undefined],
    ['-5', undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe(parseRetryAfterBody.name, () => {
  it.each([
    ['{"message":"You are being rate limited.","retry_after":0.345,"global":false}', 345],
    ['{"retry_after":2}', 2000],
    ['{"retry_after":"2"}', undefined],
    ['{"retry_after":', undefined],
    ['rate limited', undefined],
    [undefined, undefined],
  ])('reads %j as %j ms', (body, expected) => {
    expect(parseRetryAfterBody(body)).toBe(expected);
  });
});
