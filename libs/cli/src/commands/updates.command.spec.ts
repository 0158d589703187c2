import type { UpdatesReplyV1 } from '@lockstep/contracts';
import { jsonResponse, recordingCli } from '../testing/fake-api';

const reply: UpdatesReplyV1 = {
  now: '2026-03-10T12:00:00.000Z',
  automatic: true,
  items: [
    {
      component: 'app',
      version: '2.0.0',
      currentVersion: '1.0.0',
      class: 'major',
      decision: 'wait-approval',
      reason: 'waits for approval (major releases need one)',
      until: null,
      publishedAt: '2026-03-10T08:00:00.000Z',
      rolloutId: null,
    },
    {
      component: 'app',
      version: '1.0.1',
      currentVersion: '1.0.0',
      class: 'patch',
      decision: 'wait-window',
      reason: 'waits for the window opening 2026-03-10 22:00 UTC',
      until: '2026-03-10T22:00:00.000Z',
      publishedAt: '2026-03-10T08:00:00.000Z',
      rolloutId: null,
    },
  ],
};

describe('lockstep updates', () => {
  const { lockstep, seen, reset } = recordingCli(Date.parse('2026-03-10T12:00:00Z'));

  beforeEach(() => {
    reset();
    seen.answer = () => jsonResponse(200, reply);
  });

  it('shows each newer release with its class, decision and why', async () => {
    const code = await lockstep(['updates', '--component', 'app']);

    expect(code).toBe(0);
    expect(seen.sent.map((r) => `${r.method} ${r.url}`)).toEqual(['GET http://api.test/v1/updates?component=app']);
    expect(seen.out.split('\n')).toEqual([
      'COMPONENT  VERSION  RUNNING  CLASS  DECISION       WHY',
      'app        2.0.0    1.0.0    major  wait-approval  waits for approval (major releases need one)',
      'app        1.0.1    1.0.0    patch  wait-window    waits for the window opening 2026-03-10 22:00 UTC',
      '',
    ]);
  });

  it('--json prints the answer, and a table says when automatic updates are off', async () => {
    const json = await lockstep(['updates', '--json']);
    const out = JSON.parse(seen.out);
    reset();
    seen.answer = () => jsonResponse(200, { ...reply, automatic: false, items: [] });
    await lockstep(['updates']);

    expect(json).toBe(0);
    expect(out).toEqual(reply);
    expect(seen.out).toBe(
      'automatic updates are off (setting update.automatic): nothing installs without lockstep upgrade\nno release newer than what runs\n',
    );
  });
});
