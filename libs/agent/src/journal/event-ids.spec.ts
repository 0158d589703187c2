import { installCommand } from '@lockstep/testing';
import { backupChangedEventId } from '@lockstep/contracts';
import { preUpdateBackupId } from '../install/install-run';
import { agentBackupChangedEventId, finishedEventId } from './event-ids';

const NONCE = 'Q2hhbmdlIG1lIHBsZWFzZQ';
const backup = { id: 'preupdate_n1_1.1.0_abc', status: 'completed' as const, verifiedAt: null };

describe('agent event ids', () => {
  it.each<[string, string, string]>([
    ['another nonce', finishedEventId('n1', 'c1', 7, 'other'), agentBackupChangedEventId('n1', backup, 'other')],
    ['another node', finishedEventId('n2', 'c1', 7, NONCE), agentBackupChangedEventId('n2', backup, NONCE)],
  ])('differ for %s, and stay the same for the same entry', (_what, finished, changed) => {
    const sut = {
      finished: finishedEventId('n1', 'c1', 7, NONCE),
      changed: agentBackupChangedEventId('n1', backup, NONCE),
    };

    expect(finishedEventId('n1', 'c1', 7, NONCE)).toBe(sut.finished);
    expect(agentBackupChangedEventId('n1', backup, NONCE)).toBe(sut.changed);
    expect(finished).not.toBe(sut.finished);
    expect(changed).not.toBe(sut.changed);
  });

  it('gives one change of a backup one id, another change another, and never shows the nonce', () => {
    const sut = agentBackupChangedEventId('n1', backup, NONCE);

    expect(sut.startsWith(`${backupChangedEventId(backup)}:n1:`)).toBe(true);
    expect(sut).not.toContain(NONCE);
    expect(agentBackupChangedEventId('n1', { ...backup, status: 'failed' }, NONCE)).not.toBe(sut);
  });

  it('names the pre-update backup with a digest of the nonce, so the command alone does not give it away', () => {
    const cmd = installCommand({ nodeId: 'n1', version: '1.1.0' });

    const sut = preUpdateBackupId(cmd, NONCE);

    expect(sut).toMatch(/^preupdate_n1_1\.1\.0_[0-9a-f]{24}$/);
    expect(preUpdateBackupId(cmd, NONCE)).toBe(sut);
    expect(preUpdateBackupId(cmd, 'other')).not.toBe(sut);
    expect(preUpdateBackupId(cmd, undefined)).toMatch(/^preupdate_n1_1\.1\.0_[0-9a-f]{8}$/);
    expect(preUpdateBackupId(installCommand({ nodeId: 'n1', version: `1.1.0-${'x'.repeat(200)}` }), NONCE)).toMatch(
      /^preupdate_n1_1\.1\.0-x+_[0-9a-f]{24}$/,
    );
  });

  it('keeps the old finished-event id for an entry without a nonce', () => {
    expect(finishedEventId('n1', 'c1', 7, undefined)).toBe('c1:finished:7');
  });
});
