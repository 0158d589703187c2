import { installCommand } from '@lockstep/testing';
import type { InstallCommandV1, InstallFinishedV1 } from '@lockstep/contracts';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandJournal, JOURNAL_CAPACITY } from './command-journal';

const command = (commandId: string): InstallCommandV1 =>
  installCommand({ commandId, fencingToken: 3, health: { minHealthyMs: 100, deadlineMs: 1000 } });
const outcome = (commandId: string): InstallFinishedV1 => ({
  commandId,
  rolloutId: 'r1',
  nodeId: 'n1',
  component: 'demo',
  version: '1.1.0',
  runningVersion: '1.1.0',
  previousVersion: '1.0.0',
  result: 'succeeded',
  noop: false,
});

describe(CommandJournal.name, () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'journal-'));
    path = join(dir, 'journal.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps a running command visible across a restart, with its progress', async () => {
    const first = await CommandJournal.open(path);
    await first.begin({ command: command('c1'), messageSeq: 7, previousVersion: '1.0.0' });
    await first.update('c1', { step: 'swapping', swap: { from: '1.0.0', to: '1.1.0' } });

    const sut = await CommandJournal.open(path);

    expect(sut.unfinished()).toEqual([
      expect.objectContaining({
        commandId: 'c1',
        messageSeq: 7,
        step: 'swapping',
        swap: { from: '1.0.0', to: '1.1.0' },
      }),
    ]);
  });

  it('records outcomes, also of commands that never began', async () => {
    const sut = await CommandJournal.open(path);
    await sut.begin({ command: command('c1'), messageSeq: 1, previousVersion: null });

    await sut.finish('c1', outcome('c1'));
    await sut.finish(
      'c2',
      { ...outcome('c2'), result: 'rejected' },
      { command: command('c2'), messageSeq: 2, previousVersion: '1.0.0' },
    );
    const reopened = await CommandJournal.open(path);

    expect(reopened.get('c1')).toMatchObject({ status: 'finished', outcome: { result: 'succeeded' } });
    expect(reopened.get('c2')).toMatchObject({ status: 'finished', outcome: { result: 'rejected' } });
    expect(reopened.unfinished()).toEqual([]);
  });

  it('keeps at most its capacity of finished entries, dropping the oldest, never a running one', async () => {
    const sut = await CommandJournal.open(path, { capacity: 3 });
    await sut.begin({ command: command('running'), messageSeq: 0, previousVersion: null });
    for (let i = 1; i <= 4; i++)
      await sut.finish(`c${i}`, outcome(`c${i}`), { command: command(`c${i}`), messageSeq: i, previousVersion: null });

    const text = await readFile(path, 'utf8');

    expect(sut.get('c1')).toBeUndefined();
    expect(sut.get('running')).toBeDefined();
    expect(JSON.parse(text).entries.map((e: { commandId: string }) => e.commandId)).toEqual([
      'running',
      'c2',
      'c3',
      'c4',
    ]);
    expect(JOURNAL_CAPACITY).toBeGreaterThanOrEqual(100);
  });

  it('remembers the highest message sequence it recorded', async () => {
    const first = await CommandJournal.open(path);
    await first.begin({ command: command('c1'), messageSeq: 9, previousVersion: null });
    await first.finish('c0', outcome('c0'), { command: command('c0'), messageSeq: 4, previousVersion: null });

    const sut = await CommandJournal.open(path);

    expect(sut.highestSeq).toBe(9);
  });

  it('draws a nonce for every command it journals, kept across a restart and by every update', async () => {
    const first = await CommandJournal.open(path);
    const begun = await first.begin({ command: command('c1'), messageSeq: 1, previousVersion: null });
    await first.update('c1', { backupId: 'b1' });
    const refused = await first.finish('c2', outcome('c2'), {
      command: command('c2'),
      messageSeq: 2,
      previousVersion: null,
    });

    const sut = await CommandJournal.open(path);
    await sut.finish('c1', outcome('c1'));

    expect(begun.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(refused.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(refused.nonce).not.toBe(begun.nonce);
    expect(sut.get('c1')?.nonce).toBe(begun.nonce);
    expect(sut.nonceOfBackup('b1')).toBe(begun.nonce);
    expect(sut.nonceOfBackup('b2')).toBeUndefined();
  });

  it("keeps an older agent's entries (no nonce): a running one gets a nonce, written with the next change; a finished one stays without", async () => {
    const old = (commandId: string, status: 'running' | 'finished') => ({
      commandId,
      command: command(commandId),
      messageSeq: 1,
      status,
      previousVersion: null,
      ...(status === 'finished' ? { outcome: outcome(commandId) } : {}),
      startedAt: '2026-12-01T00:00:00.000Z',
      updatedAt: '2026-12-01T00:00:00.000Z',
    });
    await writeFile(
      path,
      JSON.stringify({ format: 'lockstep-journal/v1', entries: [old('running', 'running'), old('done', 'finished')] }),
    );

    const sut = await CommandJournal.open(path);
    const nonce = sut.get('running')?.nonce;
    await sut.finish('running', outcome('running'));
    const reopened = await CommandJournal.open(path);

    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(reopened.get('running')?.nonce).toBe(nonce);
    expect(reopened.get('done')).toMatchObject({ status: 'finished' });
    expect(reopened.get('done')?.nonce).toBeUndefined();
  });

  it('refuses a damaged journal instead of forgetting what ran', async () => {
    await writeFile(path, '{"format":"lockstep-journal/v1","entries":[{"commandId":"x"}]}');

    await expect(CommandJournal.open(path)).rejects.toThrow(/damaged/);
  });
});
