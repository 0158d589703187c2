import type { AuditRecordView, AuditVerifyResult } from '@lockstep/contracts';
import { fakeApiCli, jsonResponse, type SentRequest } from '../testing/fake-api';

const record = (over: Partial<AuditRecordView>): AuditRecordView => ({
  id: '2',
  at: '2026-01-01T00:00:00.000Z',
  actor: { kind: 'token', id: 'tok_a', name: 'alice' },
  role: 'operator',
  action: 'rollout.create',
  target: 'r-1',
  params: {},
  source: '10.0.0.7',
  outcome: 'ok',
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
  ...over,
});

describe('lockstep audit', () => {
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
      now: () => Date.parse('2026-01-01T00:01:00Z'),
    },
  );

  beforeEach(() => {
    sent = [];
    out = '';
    err = '';
  });

  it('lists records with the filters it was given', async () => {
    answer = () =>
      jsonResponse(200, {
        items: [
          record({}),
          record({ id: '1', actor: { kind: 'system', id: 'scheduler', name: 'scheduler' }, role: null }),
        ],
      });

    const code = await lockstep(['audit', '--since', '7d', '--actor', 'alice', '--action', 'rollout.']);

    expect(code).toBe(0);
    expect(sent[0].url).toBe('http://api.test/v1/audit?since=7d&actor=alice&action=rollout.');
    expect(out).toMatch(
      /^ID\s+AT\s+ACTOR\s+ROLE\s+ACTION\s+TARGET\s+OUTCOME\s+FROM\n\s*2\s+2026-01-01 00:00:00Z\s+alice\s+operator\s+rollout\.create\s+r-1\s+ok\s+10\.0\.0\.7\n/,
    );
    expect(out).toMatch(/\n\s*1\s+.*system:scheduler/);
  });

  it.each([
    [['audit', '--since', 'yesterday'], /--since must be a duration such as 30m/],
    [['audit', '--limit', '0'], /--limit must be a whole number from 1 to 200/],
  ])('refuses %j before sending anything', async (argv, message) => {
    const code = await lockstep(argv);

    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('verify exits 0 on an intact chain', async () => {
    const intact: AuditVerifyResult = {
      ok: true,
      records: 3,
      head: { id: '3', hash: 'c'.repeat(64) },
      firstBad: null,
      detail: null,
    };
    answer = () => jsonResponse(200, intact);

    const code = await lockstep(['audit', 'verify']);

    expect(code).toBe(0);
    expect(out).toMatch(/^audit trail intact: 3 records; head is record 3 with hash c{64}/);
  });

  it.each([[[]], [['--json']]])('verify %j exits 1 naming the first bad record', async (flags) => {
    const broken: AuditVerifyResult = {
      ok: false,
      records: 1,
      head: null,
      firstBad: { id: '2', fault: 'removed' },
      detail: 'record 2 is missing (the next record present is 3)',
    };
    answer = () => jsonResponse(200, broken);

    const code = await lockstep(['audit', 'verify', ...flags]);

    expect(code).toBe(1);
    if (flags.length) expect(JSON.parse(out)).toEqual(broken);
    else expect(out).toMatch(/^audit trail BROKEN: record 2 was removed \(record 2 is missing/);
  });
});
