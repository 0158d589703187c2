import { installCommand } from '@lockstep/testing';
import {
  CommandRefusal,
  type InstallCommandV1,
  type InstallFinishedV1,
  type InstallProgressV1,
} from '@lockstep/contracts';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppDirectory } from './app/app-directory';
import { AgentErrorCode, InstallStepError } from './errors';
import { CommandAdmission } from './fencing/command-admission';
import { FencingStore } from './fencing/fencing-store';
import type { LiveHolder } from '@lockstep/fleet-lock';
import type { InstallPipeline } from './install/install-pipeline';
import { CommandJournal } from './journal/command-journal';
import { finishedEventId } from './journal/event-ids';
import { NodeAgent, type InstallEventSink, type TrustAnchorKind } from './node-agent';
import { silentLogger } from './support/logger';

const command = (over: Partial<InstallCommandV1> = {}): InstallCommandV1 => installCommand(over);
/** The fixture command's issuedAt, plus a second: the default agent clock. */
const ISSUED = Date.parse(installCommand().issuedAt);
const MAX_AGE_MS = 60_000;
const OUTCOME: InstallFinishedV1 = {
  commandId: 'c1',
  rolloutId: 'r1',
  nodeId: 'n1',
  component: 'demo',
  version: '1.1.0',
  runningVersion: '1.1.0',
  previousVersion: '1.0.0',
  result: 'succeeded',
  noop: false,
};

describe(NodeAgent.name, () => {
  let root: string;
  let journal: CommandJournal;
  let pipeline: { run: jest.Mock; resume: jest.Mock };
  let published: Array<{ event: InstallFinishedV1; id: string }>;
  let progress: InstallProgressV1[];
  /** The lock's live holder as the lock bucket shows it (an Error: the bucket cannot be read). */
  let live: LiveHolder | undefined | Error;
  let now: number;
  let sut: NodeAgent;
  /** An agent like `sut` with another trust anchor pinned, or on another journal. */
  let agentWith: (trustAnchor: TrustAnchorKind | null, on?: CommandJournal) => NodeAgent;
  const fenceOnDisk = async () => (await FencingStore.open(join(root, 'state', 'fencing.json'))).highestFor('cluster');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'agent-'));
    live = { token: 5, rolloutId: 'r1' };
    now = ISSUED + 1000;
    const dir = new AppDirectory(root);
    await dir.init();
    journal = await CommandJournal.open(join(root, 'state', 'journal.json'));
    const fencing = await FencingStore.open(join(root, 'state', 'fencing.json'));
    published = [];
    progress = [];
    const events: InstallEventSink = {
      progress: async (event) => void progress.push(event),
      finished: async (event, id) => void published.push({ event, id }),
    };
    pipeline = {
      run: jest.fn(async (entry, report) => {
        await report('preflight');
        return {
          commandId: entry.commandId,
          rolloutId: 'r1',
          nodeId: 'n1',
          component: 'demo',
          version: entry.command.version,
          runningVersion: entry.command.version,
          previousVersion: null,
          result: 'succeeded',
          noop: false,
        };
      }),
      resume: jest.fn(),
    };
    agentWith = (trustAnchor, on = journal) =>
      new NodeAgent(
        { nodeId: 'n1', component: 'demo', trustAnchor },
        dir,
        on,
        fencing,
        pipeline as unknown as InstallPipeline,
        events,
        silentLogger,
        new CommandAdmission({ lockKey: 'cluster', maxAgeMs: MAX_AGE_MS, now: () => now }, async () => {
          if (live instanceof Error) throw live;
          return live;
        }),
      );
    sut = agentWith('tuf');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('runs a command once and replays its recorded outcome on redelivery', async () => {
    const first = await sut.handle(command(), 10, ROOT_CONTEXT);
    const again = await sut.handle(command(), 11, ROOT_CONTEXT);

    expect(first).toMatchObject({ kind: 'ack', replayed: false, outcome: { result: 'succeeded' } });
    expect(again).toMatchObject({ kind: 'ack', replayed: true, outcome: { result: 'succeeded' } });
    expect(pipeline.run).toHaveBeenCalledTimes(1);
    const nonce = journal.get('c1')?.nonce;
    expect(published.map((p) => p.id)).toEqual([
      finishedEventId('n1', 'c1', 10, nonce),
      finishedEventId('n1', 'c1', 11, nonce),
    ]);
    expect(progress).toEqual([expect.objectContaining({ step: 'preflight', percent: 5, commandId: 'c1' })]);
    expect(sut.installState).toBe('idle');
  });

  it('publishes an outcome under an id no other node can derive from command id, sequence and node, the same on a replay of its journal entry', async () => {
    await sut.handle(command(), 10, ROOT_CONTEXT);
    await sut.handle(command(), 10, ROOT_CONTEXT, true);
    // a restarted agent reading the same journal file
    await agentWith('tuf', await CommandJournal.open(join(root, 'state', 'journal.json'))).handle(
      command(),
      10,
      ROOT_CONTEXT,
      true,
    );
    // all another node can know (the command, its sequence, the node id), journaled afresh
    const elsewhere = agentWith('tuf', await CommandJournal.open(join(root, 'elsewhere.json')));
    await elsewhere.handle(command(), 10, ROOT_CONTEXT);

    const [id, replayed, restarted, guessed] = published.map((p) => p.id);

    expect(replayed).toBe(id);
    expect(restarted).toBe(id);
    expect(guessed).not.toBe(id);
    expect(id).not.toBe('c1:finished:10');
    expect(id).toMatch(/^n1:c1:finished:10:[A-Za-z0-9_-]{22,}$/);
  });

  it("replays the outcome of an older agent's journal entry (no nonce) under the id it was published with", async () => {
    await writeFile(
      join(root, 'state', 'journal.json'),
      JSON.stringify({
        format: 'lockstep-journal/v1',
        highestSeq: 10,
        entries: [
          {
            commandId: 'c1',
            command: command(),
            messageSeq: 10,
            status: 'finished',
            previousVersion: '1.0.0',
            outcome: OUTCOME,
            startedAt: '2026-12-01T00:00:00.000Z',
            updatedAt: '2026-12-01T00:00:00.000Z',
          },
        ],
      }),
    );
    sut = agentWith('tuf', await CommandJournal.open(join(root, 'state', 'journal.json')));

    const result = await sut.handle(command(), 10, ROOT_CONTEXT, true);

    expect(result).toMatchObject({ kind: 'ack', replayed: true });
    expect(published.map((p) => p.id)).toEqual(['c1:finished:10']);
  });

  it.each<[string, Partial<InstallCommandV1>, CommandRefusal, RegExp]>([
    ['another node', { nodeId: 'n2' }, CommandRefusal.WrongNode, /WRONG_NODE: the command is for node n2/],
    [
      'another component',
      { component: 'api' },
      CommandRefusal.BadCommand,
      /BAD_COMMAND: this node runs component demo/,
    ],
    [
      'a version that is no directory name',
      { version: '../../etc' },
      CommandRefusal.BadCommand,
      /BAD_COMMAND: version/,
    ],
  ])('rejects a command for %s', async (_what, over, refusal, error) => {
    const result = await sut.handle(command(over), 1, ROOT_CONTEXT);

    expect(result).toMatchObject({
      kind: 'ack',
      // reported as this node (n1): an agent may publish only about its own node
      outcome: { result: 'rejected', refusal, error: expect.stringMatching(error), nodeId: 'n1' },
    });
    expect(pipeline.run).not.toHaveBeenCalled();
  });

  it('refuses every command when no trust anchor is pinned, before anything is run or fenced', async () => {
    sut = agentWith(null);

    const result = await sut.handle(
      command({ artifact: { uri: 'http://x/app.tgz', sha256: 'a'.repeat(64), length: 1 } }),
      1,
      ROOT_CONTEXT,
    );

    expect(result).toMatchObject({
      kind: 'ack',
      outcome: {
        result: 'rejected',
        refusal: CommandRefusal.NoTrustAnchor,
        error: expect.stringMatching(/^NO_TRUST_ANCHOR: .*AGENT_TRUSTED_ROOT.*AGENT_NPM_KEYS/),
      },
    });
    expect(pipeline.run).not.toHaveBeenCalled();
    expect(await fenceOnDisk()).toBe(0);
  });

  it.each<[string, Partial<InstallCommandV1>, LiveHolder | undefined, CommandRefusal, RegExp]>([
    [
      'a forged token of 2^53-1',
      { fencingToken: Number.MAX_SAFE_INTEGER },
      { token: 5, rolloutId: 'r2' },
      CommandRefusal.NotLiveHolder,
      /token 9007199254740991 .* is not the token 5 of the live holder/,
    ],
    [
      'a lock key this agent does not obey',
      { lockKey: 'made-up' },
      { token: 5, rolloutId: 'r1' },
      CommandRefusal.UnknownLockKey,
      /obeys only the holder of lock "cluster" \(AGENT_LOCK_KEY\)/,
    ],
    ['no live holder', {}, undefined, CommandRefusal.NoLiveHolder, /nobody holds lock cluster now/],
    [
      "another holder's token",
      { fencingToken: 4, rolloutId: 'r0' },
      { token: 5, rolloutId: 'r1' },
      CommandRefusal.NotLiveHolder,
      /token 4 \(rollout r0\) is not the token 5/,
    ],
    [
      'a stale issuedAt',
      { issuedAt: new Date(ISSUED - MAX_AGE_MS).toISOString() },
      { token: 5, rolloutId: 'r1' },
      CommandRefusal.Expired,
      /was issued 61 s ago, more than AGENT_COMMAND_MAX_AGE \(60 s\)/,
    ],
    [
      'an issuedAt far in the future',
      { issuedAt: new Date(ISSUED + 2 * MAX_AGE_MS).toISOString() },
      { token: 5, rolloutId: 'r1' },
      CommandRefusal.Expired,
      /claims to be issued 119 s in the future/,
    ],
  ])(
    'refuses %s, changing nothing: no install, no journal entry, the fence where it was',
    async (_what, over, holder, refusal, reason) => {
      live = { token: 3, rolloutId: 'r0' };
      await sut.handle(command({ commandId: 'earlier', rolloutId: 'r0', fencingToken: 3 }), 1, ROOT_CONTEXT);
      pipeline.run.mockClear();
      live = holder;

      const result = await sut.handle(command({ commandId: 'forged', ...over }), 2, ROOT_CONTEXT);

      expect(result).toMatchObject({
        kind: 'ack',
        outcome: { result: 'rejected', refusal, error: expect.stringMatching(reason) },
      });
      expect(result.kind === 'ack' && result.outcome.error?.startsWith(`${refusal}: `)).toBe(true);
      expect(pipeline.run).not.toHaveBeenCalled();
      expect(journal.get('forged')).toBeUndefined();
      expect(await fenceOnDisk()).toBe(3);
      // not journaled: a nonce of its own, so no other node can take the id first either
      expect(published.at(-1)?.id).toMatch(/^n1:forged:finished:2:[A-Za-z0-9_-]{22}$/);
    },
  );

  it('leaves a command for redelivery while the lock cannot be read, and runs it once it can', async () => {
    live = new Error('NATS timeout');

    const waiting = await sut.handle(command(), 1, ROOT_CONTEXT);
    live = { token: 5, rolloutId: 'r1' };
    const later = await sut.handle(command(), 1, ROOT_CONTEXT, true);

    expect(waiting).toEqual({
      kind: 'wait',
      reason: expect.stringMatching(/lock cluster could not be read \(NATS timeout\)/),
    });
    expect(later).toMatchObject({ kind: 'ack', outcome: { result: 'succeeded' } });
    expect(pipeline.run).toHaveBeenCalledTimes(1);
    expect(published).toHaveLength(1);
  });

  it("runs the older holder's copy of a command when the newer holder conducts the same rollout (its resend was deduplicated), raising the fence to the live token", async () => {
    live = { token: 9, rolloutId: 'r1' };

    const result = await sut.handle(
      command({ commandId: 'r1.n1.install', rolloutId: 'r1', fencingToken: 7 }),
      1,
      ROOT_CONTEXT,
    );
    const aboveLive = await sut.handle(command({ commandId: 'r1.n1.revert', fencingToken: 10 }), 2, ROOT_CONTEXT);

    expect(result).toMatchObject({ outcome: { result: 'succeeded' } });
    expect(aboveLive).toMatchObject({ outcome: { refusal: CommandRefusal.NotLiveHolder } });
    expect(pipeline.run).toHaveBeenCalledTimes(1);
    expect(await fenceOnDisk()).toBe(9);
  });

  it("refuses a replaced holder's command once a newer holder holds the lock, even before it sent this node anything", async () => {
    live = { token: 7, rolloutId: 'r1' };
    await sut.handle(command({ commandId: 'a', fencingToken: 7 }), 1, ROOT_CONTEXT);
    live = { token: 9, rolloutId: 'r2' };

    const replaced = await sut.handle(command({ commandId: 'b', fencingToken: 7 }), 2, ROOT_CONTEXT);
    const current = await sut.handle(command({ commandId: 'c', rolloutId: 'r2', fencingToken: 9 }), 3, ROOT_CONTEXT);

    expect(replaced).toMatchObject({ outcome: { result: 'rejected', refusal: CommandRefusal.NotLiveHolder } });
    expect(current).toMatchObject({ outcome: { result: 'succeeded' } });
    expect(await fenceOnDisk()).toBe(9);
  });

  it('refuses a redelivered unknown command older than one it already handled, but not a first delivery', async () => {
    await sut.handle(command({ commandId: 'new' }), 20, ROOT_CONTEXT);

    const old = await sut.handle(command({ commandId: 'old' }), 19, ROOT_CONTEXT, true);
    const recreatedStream = await sut.handle(command({ commandId: 'fresh' }), 1, ROOT_CONTEXT, false);

    expect(old).toMatchObject({ outcome: { result: 'rejected', error: expect.stringMatching(/SUPERSEDED/) } });
    expect(recreatedStream).toMatchObject({ outcome: { result: 'succeeded' } });
  });

  it.each<[string, unknown]>([
    ['what is not an install command', { hello: 'world' }],
    ['a command whose fencing token is not a positive integer', command({ fencingToken: 0 })],
  ])('dead-letters %s', async (_name, raw) => {
    const result = await sut.handle(raw, 1, ROOT_CONTEXT);

    expect(result).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/not an InstallCommandV1/) });
    expect(pipeline.run).not.toHaveBeenCalled();
  });

  it('takes commands one at a time, so a racing older holder cannot pass on a stale read of the lock', async () => {
    live = { token: 10, rolloutId: 'r2' };

    const [newer, older] = await Promise.all([
      sut.handle(command({ commandId: 'newer', rolloutId: 'r2', fencingToken: 10 }), 1, ROOT_CONTEXT),
      sut.handle(command({ commandId: 'older', fencingToken: 3 }), 2, ROOT_CONTEXT),
    ]);

    expect(newer).toMatchObject({ outcome: { result: 'succeeded' } });
    expect(older).toMatchObject({ outcome: { result: 'rejected', refusal: CommandRefusal.NotLiveHolder } });
  });

  it('leaves an interrupted command unacked and in the journal', async () => {
    pipeline.run.mockRejectedValueOnce(
      new InstallStepError(AgentErrorCode.Interrupted, 'stopping', { step: 'health_check' }),
    );

    const result = await sut.handle(command(), 1, ROOT_CONTEXT);

    expect(result).toEqual({ kind: 'interrupted' });
    expect(journal.unfinished().map((e) => e.commandId)).toEqual(['c1']);
    expect(published).toEqual([]);
  });

  it('finishes interrupted commands at start and reports them with the id of their message', async () => {
    await journal.begin({ command: command(), messageSeq: 42, previousVersion: '1.0.0' });
    pipeline.resume.mockResolvedValueOnce({
      commandId: 'c1',
      rolloutId: 'r1',
      nodeId: 'n1',
      component: 'demo',
      version: '1.1.0',
      runningVersion: '1.0.0',
      previousVersion: '1.0.0',
      result: 'rolled_back',
      failedStep: 'health_check',
      error: 'x',
      noop: false,
    });

    await sut.recover();

    expect(published).toEqual([
      {
        id: finishedEventId('n1', 'c1', 42, journal.get('c1')?.nonce),
        event: expect.objectContaining({ result: 'rolled_back' }),
      },
    ]);
    expect(journal.get('c1')?.status).toBe('finished');
  });

  it('resumes a begun command as journaled: a copy reusing its id with a forged token does not raise the fence', async () => {
    await journal.begin({ command: command({ fencingToken: 5 }), messageSeq: 3, previousVersion: '1.0.0' });
    pipeline.resume.mockImplementationOnce(async (entry) => ({
      commandId: entry.commandId,
      rolloutId: 'r1',
      nodeId: 'n1',
      component: 'demo',
      version: entry.command.version,
      runningVersion: entry.command.version,
      previousVersion: '1.0.0',
      result: 'succeeded',
      noop: false,
    }));

    const result = await sut.handle(
      command({ fencingToken: Number.MAX_SAFE_INTEGER, version: '9.9.9' }),
      4,
      ROOT_CONTEXT,
    );

    expect(result).toMatchObject({ kind: 'ack', outcome: { version: '1.1.0', result: 'succeeded' } });
    expect(await fenceOnDisk()).toBe(5);
  });

  it('persists an admitted token before the pipeline runs', async () => {
    let tokenOnDiskWhenRun: number | undefined;
    pipeline.run.mockImplementationOnce(async (entry) => {
      tokenOnDiskWhenRun = (await FencingStore.open(join(root, 'state', 'fencing.json'))).highestFor('cluster');
      return {
        commandId: entry.commandId,
        rolloutId: 'r1',
        nodeId: 'n1',
        component: 'demo',
        version: entry.command.version,
        runningVersion: entry.command.version,
        previousVersion: null,
        result: 'succeeded',
        noop: false,
      };
    });

    live = { token: 12, rolloutId: 'r1' };
    await sut.handle(command({ fencingToken: 12 }), 1, ROOT_CONTEXT);

    expect(tokenOnDiskWhenRun).toBe(12);
  });

  it('at start, takes the token of a begun command whose fencing write never landed, and refuses everything while the live token is below it (a recreated lock bucket)', async () => {
    await journal.begin({
      command: command({ commandId: 'begun', fencingToken: 9 }),
      messageSeq: 5,
      previousVersion: '1.0.0',
    });
    pipeline.resume.mockResolvedValueOnce({
      commandId: 'begun',
      rolloutId: 'r1',
      nodeId: 'n1',
      component: 'demo',
      version: '1.1.0',
      runningVersion: '1.1.0',
      previousVersion: '1.0.0',
      result: 'succeeded',
      noop: false,
    });

    await sut.recover();
    live = { token: 8, rolloutId: 'r1' };
    const stale = await sut.handle(command({ commandId: 'older-holder', fencingToken: 8 }), 6, ROOT_CONTEXT);

    expect(stale).toMatchObject({
      outcome: {
        result: 'rejected',
        refusal: CommandRefusal.StaleFencingToken,
        error: expect.stringMatching(/this node has seen token 9 of lock cluster, newer than the live holder's 8/),
      },
    });
    expect(await fenceOnDisk()).toBe(9);
  });
});
