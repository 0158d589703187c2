import type { BackupRecordV1, BackupStatus } from '@lockstep/contracts';
import { newBackupRecord } from '@lockstep/backup-jobs';
import { supersedes } from './backup-catalogue';

const rec = (status: BackupStatus, verifiedAt: string | null = null): BackupRecordV1 => ({
  ...newBackupRecord({
    id: 'b1',
    type: 'full',
    trigger: 'manual',
    component: 'shop',
    componentVersion: null,
    nodeId: null,
    encrypted: false,
    createdAt: '2026-11-22T03:00:00.000Z',
  }),
  status,
  verifiedAt,
});

describe('supersedes (catalogue changes arrive out of order and twice)', () => {
  it.each<[string, BackupRecordV1 | undefined, BackupRecordV1, boolean]>([
    ['a first report', undefined, rec('creating'), true],
    ['completion after creating', rec('creating'), rec('completed'), true],
    ['a late creating after completion', rec('completed'), rec('creating'), false],
    ['failure after completion (the first outcome wins)', rec('completed'), rec('failed'), false],
    ['the same completion again', rec('completed'), rec('completed'), false],
    ['a verification', rec('completed'), rec('verified', '2026-11-22T04:00:00Z'), true],
    [
      'a newer verification finding damage',
      rec('verified', '2026-11-22T04:00:00Z'),
      rec('corrupted', '2026-11-22T05:00:00Z'),
      true,
    ],
    ['an older verification', rec('corrupted', '2026-11-22T05:00:00Z'), rec('verified', '2026-11-22T04:00:00Z'), false],
    ['pruning a verified backup', rec('verified', '2026-11-22T04:00:00Z'), rec('pruned'), true],
    ['anything after pruning', rec('pruned'), rec('verified', '2026-11-23T00:00:00Z'), false],
    // node a's agent may announce backups of node a only: it cannot take over another's entry
    ['a control-plane backup claimed by a node', rec('creating'), { ...rec('pruned'), nodeId: 'a' }, false],
    [
      'a node backup claimed by another node',
      { ...rec('creating'), nodeId: 'b' },
      { ...rec('failed'), nodeId: 'a' },
      false,
    ],
    ["a node's own backup moving on", { ...rec('creating'), nodeId: 'a' }, { ...rec('completed'), nodeId: 'a' }, true],
  ])('%s', (_what, current, next, expected) => {
    expect(supersedes(current, next)).toBe(expected);
  });
});
