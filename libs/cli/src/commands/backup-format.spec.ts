import { backupOperation } from '../testing/backup-fixtures';
import { operationActivity, operationFrame } from './backup-follow';
import { formatBytes, formatPruned, formatRestored } from './backup-format';
import { LineProgress } from './rollout-progress';

describe(formatBytes.name, () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [12.3 * 1024 * 1024, '12.3 MiB'],
    [4 * 1024 ** 3, '4.0 GiB'],
    [null, '-'],
  ])('%s -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe(formatPruned.name, () => {
  it('says what was removed and freed after a real prune', () => {
    const sut = formatPruned({
      dryRun: false,
      removedBackups: ['old-1'],
      removedPacks: 2,
      keptPacks: 8,
      freedBytes: 2048,
      plan: { keep: [], remove: [{ id: 'old-1', reason: 'older than 30d' }] },
    });

    expect(sut).toBe(
      [
        'pruned',
        'keep: nothing',
        'removed (1):',
        '  old-1  older than 30d',
        'freed 2.0 KiB (2 pack(s) removed, 8 kept)',
        '',
      ].join('\n'),
    );
  });
});

describe(formatRestored.name, () => {
  it('lists every part and database restored, whichever shape the database report has', () => {
    const sut = formatRestored('nightly', {
      restored: [{ part: 'data', target: '/var/lib/app', files: 3 }],
      databases: [{ database: 'app', mode: 'replace' }],
    });

    expect(sut).toBe('restored from backup nightly:\n  data → /var/lib/app (3 file(s))\n  database app (replace)\n');
  });
});

describe('operationFrame', () => {
  it.each([
    ['queued, waiting for the backup service', backupOperation()],
    ['uploading: 3/9 packs', backupOperation({ state: 'running', step: 'uploading', message: '3/9 packs' })],
    ['starting', backupOperation({ state: 'running' })],
    ['failed: disk full', backupOperation({ state: 'failed', error: 'disk full' })],
    ['succeeded', backupOperation({ state: 'succeeded' })],
  ])('activity %s', (activity, op) => {
    expect(operationActivity(op)).toBe(activity);
  });

  it('draws one bar through the shared line renderer: the state when it changes, the bar when it moves', () => {
    const out: string[] = [];
    const sut = new LineProgress((t) => out.push(t), operationFrame);

    sut.update(backupOperation());
    sut.update(backupOperation({ state: 'running', step: 'uploading', percent: 50 }));
    sut.update(backupOperation({ state: 'running', step: 'uploading', percent: 50 }));
    sut.update(backupOperation({ state: 'succeeded', percent: 100 }));

    expect(out.join('').split('\n')).toEqual([
      'backup operation 7e57c0de-1111-4222-8333-444455556666 (create nightly) queued',
      'create  [--------------]   0%  queued, waiting for the backup service',
      'backup operation 7e57c0de-1111-4222-8333-444455556666 (create nightly) running',
      'create  [#######-------]  50%  uploading',
      'backup operation 7e57c0de-1111-4222-8333-444455556666 (create nightly) succeeded',
      'create  [##############] 100%  succeeded',
      '',
    ]);
  });
});
