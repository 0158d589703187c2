import { createEvent, Subjects } from '@lockstep/contracts';
import { checkFailedEvent, metadataExpiringEvent, otherEvent, releaseEvent } from '@lockstep/testing';
import { Severity, SUMMARY_BODY_MAX, summarizeEvent } from './event-summary';

describe(summarizeEvent.name, () => {
  it('summarises release.available with every fact', () => {
    const sut = summarizeEvent(releaseEvent({ breaking: true, hotfix: true }));

    expect(sut.title).toBe('Hotfix: api 1.4.0 is available');
    expect(sut.fallback).toBe('Hotfix: api 1.4.0 is available (minor, stable, running 1.3.2) [breaking, hotfix]');
    expect(Object.fromEntries(sut.fields.map((f) => [f.label, f.value]))).toEqual({
      Component: 'api',
      Version: '1.4.0',
      'Current version': '1.3.2',
      Kind: 'minor',
      Channel: 'stable',
      Flags: 'breaking, hotfix',
    });
    expect(sut.body).toMatchObject({ label: 'Release notes', format: 'markdown' });
    expect(sut.severity).toBe(Severity.Warning);
  });

  it.each([
    [{ security: true }, Severity.Critical, /^Security release: /],
    [{ breaking: true }, Severity.Warning, /^api/],
    [{}, Severity.Info, /^api/],
  ])('rates release flags %j as %s', (flags, severity, title) => {
    const sut = summarizeEvent(releaseEvent(flags));

    expect(sut.severity).toBe(severity);
    expect(sut.title).toMatch(title);
  });

  it('cuts long release notes and omits empty ones', () => {
    const long = summarizeEvent(releaseEvent({ notes: 'x'.repeat(10_000) }));
    const empty = summarizeEvent(releaseEvent({ notes: '  ', currentVersion: null }));

    expect(long.body?.text).toHaveLength(SUMMARY_BODY_MAX);
    expect(long.body?.text.endsWith('…')).toBe(true);
    expect(empty.body).toBeUndefined();
    expect(empty.fields.find((f) => f.label === 'Current version')?.value).toBe('unknown');
  });

  it('summarises check.failed with component, source, code and reason', () => {
    const sut = summarizeEvent(checkFailedEvent());

    expect(sut.title).toBe('Release check failed for api');
    expect(sut.fields.map((f) => f.value)).toEqual(['api', 'tuf', 'METADATA_EXPIRED']);
    expect(sut.body?.text).toMatch(/expired/);
  });

  it('summarises release.metadata_expiring with role, version, expiry and what to do, as a warning', () => {
    const sut = summarizeEvent(metadataExpiringEvent());

    expect(sut.title).toBe('Release metadata of api expires soon');
    expect(sut.fields.map((f) => f.value)).toEqual(['api', 'timestamp (online key)', '7', '2025-03-01T20:00:00.000Z']);
    expect(sut.body?.text).toMatch(/LOCKSTEP_TUF_ONLINE_KEYS_FILE/);
    expect(sut.severity).toBe(Severity.Warning);
  });

  it.each([
    ['an unknown type', otherEvent()],
    ['a known type whose payload fails its schema', { ...releaseEvent(), data: { component: 'api' } }],
  ])('falls back to the generic summary for %s', (_name, event) => {
    const sut = summarizeEvent(event);

    expect(sut.title).toBe(`Lockstep event ${event.type}`);
    expect(sut.body?.format).toBe('code');
    expect(sut.fields.find((f) => f.label === 'Event id')?.value).toBe(event.id);
  });

  it('summarises node.lost with the node, its last heartbeat and what to do, as a warning', () => {
    const event = createEvent(
      Subjects.NodeLost,
      {
        nodeId: 'node-2',
        hostname: 'web-2',
        labels: { zone: 'a' },
        lastSeenAt: '2026-01-01T00:00:00.000Z',
        lostAt: '2026-01-01T00:00:10.000Z',
      },
      { source: '/lockstep/scheduler' },
    );

    const sut = summarizeEvent(event);

    expect(sut).toMatchObject({ title: 'Node node-2 is lost', severity: Severity.Warning });
    expect(sut.fields.map((f) => f.value)).toEqual(['node-2', 'web-2', 'zone=a', '2026-01-01T00:00:00.000Z']);
    expect(sut.body?.text).toContain('lockstep nodes rm node-2');
  });

  it('summarises message.dead_lettered with who gave up, why, and the command that re-drives it', () => {
    const event = createEvent(
      Subjects.MessageDeadLettered,
      {
        kind: 'outbox',
        id: '42',
        service: 'scheduler',
        subject: 'evt.rollout.changed.v1',
        eventId: 'e-1',
        reason: 'too large for NATS',
      },
      { source: '/lockstep/scheduler/outbox' },
    );

    const sut = summarizeEvent(event);

    expect(sut).toMatchObject({ severity: Severity.Warning });
    expect(sut.fields.map((f) => f.value)).toEqual(['scheduler', 'evt.rollout.changed.v1', 'e-1']);
    expect(sut.body?.text).toContain('lockstep dead-letters replay --outbox 42');
  });

  it('summarises update.approval_requested with the release, why it waits, and the exact approve command', () => {
    const event = createEvent(
      Subjects.UpdateApprovalRequested,
      {
        component: 'api',
        version: '2.0.0',
        class: 'major',
        currentVersion: '1.3.2',
        reason: 'waits for approval (major releases need one)',
        approveWith: 'lockstep approve api 2.0.0',
      },
      { source: '/lockstep/scheduler', subject: 'api' },
    );

    const sut = summarizeEvent(event);

    expect(sut).toMatchObject({ title: 'api 2.0.0 waits for approval', severity: Severity.Warning });
    expect(sut.fields.map((f) => f.value)).toEqual(['api', '2.0.0', '1.3.2', 'major']);
    expect(sut.fallback).toContain('Approve: lockstep approve api 2.0.0');
    expect(sut.body?.text).toContain('lockstep reject api 2.0.0 --reason');
  });

  it.each([
    [false, '1.4.0', 'api 1.4.0 is held', Severity.Warning, 'lockstep release-hold api --version 1.4.0'],
    [true, null, 'api (every version) is held automatically', Severity.Critical, 'lockstep release-hold api'],
  ])(
    'summarises update.held (automatic %s) with why and the command that lifts it',
    (automatic, version, title, severity, lift) => {
      const event = createEvent(
        Subjects.UpdateHeld,
        {
          component: 'api',
          version,
          reason: 'rollout r-1 failed and rolled back',
          automatic,
          by: 'alice',
          releaseWith: lift,
        },
        { source: '/lockstep/api', subject: 'api' },
      );

      const sut = summarizeEvent(event);

      expect(sut).toMatchObject({ title, severity });
      expect(sut.fallback).toContain('rollout r-1 failed and rolled back');
      expect(sut.body?.text).toContain(lift);
    },
  );

  it('survives data that JSON cannot serialise', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;

    const sut = summarizeEvent(otherEvent(circular));

    expect(sut.body?.text).toBe('[object Object]');
  });
});
