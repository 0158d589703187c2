import { installCommand } from '@lockstep/testing';
import type { InstallCommandV1, InstallFinishedV1, InstallProgressV1 } from '@lockstep/contracts';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppDirectory } from './app/app-directory';
import { AgentErrorCode, InstallStepError } from './errors';
import { FencingStore } from './fencing/fencing-store';
import type { LiveHolder } from '@lockstep/fleet-lock';
import type { InstallPipeline } from './install/install-pipeline';
import { CommandJournal } from './journal/command-journal';
import { finishedEventId, NodeAgent, type InstallEventSink } from './node-agent';
import { silentLogger } from './support/logger';

const command = (over: Partial<InstallCommandV1> = {}): InstallCommandV1 => installCommand(over);

describe(NodeAgent.name, () => {
  let root: string;
  let journal: CommandJournal;
  let pipeline: { run: jest.Mock; resume: jest.Mock };
  let published: Array<{ event: InstallFinishedV1; id: string }>;
  let progress: InstallProgressV1[];
  let sut: NodeAgent;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'agent-'));
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
    sut = new NodeAgent(
      { nodeId: 'n1', component: 'demo' },
      dir,
      journal,
      fencing,
      pipeline as unknown as InstallPipeline,
      events,
      silentLogger,
    );
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('runs a command once and replays its recorded outcome on redelivery', async () => {
    const first = await sut.handle(command(), 10, ROOT_CONTEXT);
    const again = await sut.handle(command(), 11, ROOT_CONTEXT);

    expect(first).toMatchObject({ kind: 'ack', replayed: false, outcome: { result: 'succeeded' } });
    expect(again).toMatchObject({ kind: 'ack', replayed: true, outcome: { result: 'succeeded' } });
    expect(pipeline.run).toHaveBeenCalledTimes(1);
    expect(published.map((p) => p.id)).toEqual([finishedEventId('c1', 10), finishedEventId('c1', 11)]);
    expect(progress).toEqual([expect.objectContaining({ step: 'preflight', percent: 5, commandId: 'c1' })]);
    expect(sut.installState).toBe('idle');
  });

  it.each<[string, Partial<InstallCommandV1>, RegExp]>([
    ['another node', { nodeId: 'n2' }, /BAD_COMMAND: the command is for node n2/],
    ['another component', { component: 'api' }, /BAD_COMMAND: this node runs component demo/],
    ['a version that is no directory name', { version: '../../etc' }, /BAD_COMMAND: version/],
  ])('rejects a command for %s', async (_what, over, error) => {
    const result = await sut.handle(command(over), 1, ROOT_CONTEXT);

    expect(result).toMatchObject({ kind: 'ack', outcome: { result: 'rejected', error: expect.stringMatching(error) } });
    expect(pipeline.run).not.toHaveBeenCalled();
  });

  /** An agent like `sut` that also reads the live lock holder through `liveHolder`. */
  const agentSeeing = async (liveHolder: () => Promise<LiveHolder | undefined>): Promise<NodeAgent> => {
    const fencing = await FencingStore.open(join(root, 'state', 'fencing.json'));
    const events: InstallEventSink = { progress: async () => undefined, finished: async () => undefined };
    return new NodeAgent(
      { nodeId: 'n1', component: 'demo' },
      new AppDirectory(root),
      journal,
      fencing,
      pipeline as unknown as InstallPipeline,
      events,
      silentLogger,
      () => undefined,
      liveHolder,
    );
  };

  it("refuses a replaced holder's command before its successor has sent this node anything, and falls back to the tokens seen when the lock cannot be read", async () => {
    let live: LiveHolder | Error = { token: 9, rolloutId: 'r2' };
    const agent = await agentSeeing(async () => {
      if (live instanceof Error) throw live;
      return live;
    });

    const replaced = await agent.handle(
      command({ commandId: 'old-holder', rolloutId: 'r1', fencingToken: 7 }),
      1,
      ROOT_CONTEXT,
    );
    const current = await agent.handle(
      command({ commandId: 'new-holder', rolloutId: 'r2', fencingToken: 9 }),
      2,
      ROOT_CONTEXT,
    );
    live = new Error('NATS timeout');
    const unreadable = await agent.handle(
      command({ commandId: 'still-new-holder', rolloutId: 'r2', fencingToken: 9 }),
      3,
      ROOT_CONTEXT,
    );

    expect(replaced).toMatchObject({
      outcome: {
        result: 'rejected',
        error: expect.stringMatching(/STALE_FENCING_TOKEN: fencing token 7 of lock cluster is older than token 9/),
      },
    });
    expect(current).toMatchObject({ outcome: { result: 'succeeded' } });
    expect(unreadable).toMatchObject({ outcome: { result: 'succeeded' } });
    expect((await FencingStore.open(join(root, 'state', 'fencing.json'))).highestFor('cluster')).toBe(9);
  });

  it("runs the older holder's copy of a command when the newer holder conducts the same rollout (its resend was deduplicated)", async () => {
    const agent = await agentSeeing(async () => ({ token: 9, rolloutId: 'r1' }));

    const result = await agent.handle(
      command({ commandId: 'r1.n1.install', rolloutId: 'r1', fencingToken: 7 }),
      1,
      ROOT_CONTEXT,
    );

    expect(result).toMatchObject({ outcome: { result: 'succeeded' } });
    expect(pipeline.run).toHaveBeenCalledTimes(1);
  });

  it('rejects an older fencing token, naming both tokens, and admits an equal one', async () => {
    await sut.handle(command({ commandId: 'a', fencingToken: 7 }), 1, ROOT_CONTEXT);

    const stale = await sut.handle(command({ commandId: 'b', fencingToken: 6 }), 2, ROOT_CONTEXT);
    const same = await sut.handle(command({ commandId: 'c', fencingToken: 7 }), 3, ROOT_CONTEXT);

    expect(stale).toMatchObject({
      outcome: {
        result: 'rejected',
        error: expect.stringMatching(/STALE_FENCING_TOKEN: fencing token 6 of lock cluster is older than token 7/),
      },
    });
    expect(same).toMatchObject({ outcome: { result: 'succeeded' } });
    expect(journal.get('b')?.outcome?.result).toBe('rejected');
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

  it('takes commands one at a time, so a racing older holder cannot pass on a stale read of the fence', async () => {
    const [newer, older] = await Promise.all([
      sut.handle(command({ commandId: 'newer', fencingToken: 10 }), 1, ROOT_CONTEXT),
      sut.handle(command({ commandId: 'older', fencingToken: 3 }), 2, ROOT_CONTEXT),
    ]);

    expect(newer).toMatchObject({ outcome: { result: 'succeeded' } });
    expect(older).toMatchObject({
      outcome: { result: 'rejected', error: expect.stringMatching(/STALE_FENCING_TOKEN/) },
    });
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
      { id: finishedEventId('c1', 42), event: expect.objectContaining({ result: 'rolled_back' }) },
    ]);
    expect(journal.get('c1')?.status).toBe('finished');
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

    await sut.handle(command({ fencingToken: 12 }), 1, ROOT_CONTEXT);

    expect(tokenOnDiskWhenRun).toBe(12);
  });

  it('at start, takes the token of a begun command whose fencing write never landed, so an older holder stays refused', async () => {
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
    const stale = await sut.handle(command({ commandId: 'older-holder', fencingToken: 8 }), 6, ROOT_CONTEXT);

    expect(stale).toMatchObject({
      outcome: {
        result: 'rejected',
        error: expect.stringMatching(/STALE_FENCING_TOKEN: fencing token 8 of lock cluster is older than token 9/),
      },
    });
    expect((await FencingStore.open(join(root, 'state', 'fencing.json'))).highestFor('cluster')).toBe(9);
  });
});
