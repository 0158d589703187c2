import {
  CommandRefusal,
  formatIssues,
  InstallCommandV1,
  type InstallFinishedV1,
  type InstallProgressV1,
  type InstallStep,
} from '@lockstep/contracts';
import { ROOT_CONTEXT, SpanKind, trace, type Context } from '@opentelemetry/api';
import { withSpan } from '@lockstep/telemetry';
import { assertReleaseVersion, type AppDirectory } from './app/app-directory';
import { AgentErrorCode, InstallStepError } from './errors';
import type { CommandAdmission } from './fencing/command-admission';
import type { FencingStore } from './fencing/fencing-store';
import { STEP_PERCENT, type InstallPipeline, type StepReporter } from './install/install-pipeline';
import { newNonce, type CommandJournal, type JournalEntry } from './journal/command-journal';
import { finishedEventId } from './journal/event-ids';
import type { AgentLogger } from './support/logger';

/** Where install events go (JetStream in the service, a fake in tests). */
export interface InstallEventSink {
  /** Best effort: a lost progress event is logged, never fails the install. */
  progress(event: InstallProgressV1, ctx: Context): Promise<void>;
  /** Must succeed before the command is acked; `eventId` makes re-publishing idempotent. */
  finished(event: InstallFinishedV1, eventId: string, ctx: Context): Promise<void>;
}

/** What the agent did with one command message. */
export type CommandDisposition =
  /** Outcome recorded and published: ack the message. */
  | { kind: 'ack'; outcome: InstallFinishedV1; replayed: boolean }
  /** Not an install command at all: dead-letter it. */
  | { kind: 'invalid'; reason: string }
  /** The lock could not be read: nothing was done; redeliver the message later. */
  | { kind: 'wait'; reason: string }
  /** The agent is stopping mid-command: leave the message for redelivery; the journal has the rest. */
  | { kind: 'interrupted' };

/** Install state of the node, as the heartbeat reports it. */
export type NodeInstallState = 'idle' | 'starting' | 'recovering' | InstallStep;

/** Identity of the agent's node. */
export interface NodeIdentity {
  nodeId: string;
  component: string;
  /** The trust anchor pinned on the node (null: none, so every command is refused before anything is downloaded). */
  trustAnchor: TrustAnchorKind | null;
}

/** Kinds of trust anchor an agent verifies artifacts against: a pinned TUF root, or pinned npm registry keys. */
export type TrustAnchorKind = 'tuf' | 'npm';

/** A refusal: its code (contracts) and what happened, saying what to do. */
interface Refused {
  refusal: CommandRefusal;
  reason: string;
}

/**
 * The node agent's decisions about commands: validate, replay journaled outcomes, obey only
 * the live holder of the agent's lock (see CommandAdmission), run the install pipeline one command at a time, record the outcome before
 * publishing it, and finish commands a killed agent left half done.
 */
export class NodeAgent {
  private state: NodeInstallState = 'starting';
  private readonly abort = new AbortController();
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly node: NodeIdentity,
    private readonly dir: AppDirectory,
    private readonly journal: CommandJournal,
    private readonly fencing: FencingStore,
    private readonly pipeline: InstallPipeline,
    private readonly events: InstallEventSink,
    private readonly logger: AgentLogger,
    private readonly admission: CommandAdmission,
    private readonly onStateChange: (state: NodeInstallState) => void = () => undefined,
  ) {}

  /** The node's install state right now. */
  get installState(): NodeInstallState {
    return this.state;
  }

  /** Signal that aborts a command in progress at a safe point (agent shutdown). */
  interrupt(): void {
    this.abort.abort();
  }

  /** Resolves when no command is being handled. */
  idle(): Promise<void> {
    return this.busy.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Finishes every command the journal shows as started but never finished, and reports each. */
  async recover(): Promise<void> {
    for (const entry of this.journal.unfinished()) {
      this.setState('recovering');
      // A begun entry's token may not have reached the fencing store before the agent died.
      await this.fencing.raise(entry.command.lockKey, entry.command.fencingToken);
      this.logger.warn(
        `command ${entry.commandId} (${entry.command.action} ${entry.command.version}) was interrupted at ${entry.step ?? 'start'}; finishing it`,
      );
      await this.exclusive(() =>
        withSpan(
          `recover ${entry.command.action} ${entry.command.component} ${entry.command.version}`,
          { 'lockstep.command_id': entry.commandId, 'lockstep.node_id': this.node.nodeId },
          async (span) => {
            const ctx = trace.setSpan(ROOT_CONTEXT, span);
            const outcome = await this.pipeline.resume(entry, this.reporter(entry.command, ctx), this.abort.signal);
            await this.conclude(entry, outcome, entry.messageSeq, ctx);
          },
          { parent: ROOT_CONTEXT },
        ),
      );
    }
    this.setState('idle');
  }

  /**
   * Handles one command message: `seq` = its stream sequence, `parent` = trace context from
   * its headers, `redelivered` = JetStream delivered it before.
   */
  async handle(raw: unknown, seq: number, parent: Context, redelivered = false): Promise<CommandDisposition> {
    const parsed = InstallCommandV1.safeParse(raw);
    if (!parsed.success)
      return {
        kind: 'invalid',
        reason: `not an InstallCommandV1: ${formatIssues(parsed.error)}`,
      };
    const cmd = parsed.data;
    return this.exclusive(() =>
      withSpan(
        `${cmd.action} ${cmd.component} ${cmd.version}`,
        {
          'lockstep.command_id': cmd.commandId,
          'lockstep.rollout_id': cmd.rolloutId,
          'lockstep.node_id': cmd.nodeId,
          'lockstep.fencing_token': cmd.fencingToken,
        },
        async (span) => {
          const ctx = trace.setSpan(parent, span);
          let result: CommandDisposition;
          try {
            result = await this.decide(cmd, seq, ctx, redelivered);
          } catch (err) {
            if (!(err instanceof InstallStepError && err.code === AgentErrorCode.Interrupted)) throw err;
            this.logger.warn(
              `command ${cmd.commandId} interrupted${err.step ? ` at ${err.step}` : ''}; it will be finished when the agent starts again`,
            );
            result = { kind: 'interrupted' };
          }
          span.setAttribute('lockstep.outcome', result.kind === 'ack' ? result.outcome.result : result.kind);
          if (result.kind === 'wait') this.logger.warn(`command ${cmd.commandId}: ${result.reason}`);
          return result;
        },
        { parent, kind: SpanKind.CONSUMER },
      ),
    );
  }

  private async decide(
    cmd: InstallCommandV1,
    seq: number,
    ctx: Context,
    redelivered: boolean,
  ): Promise<CommandDisposition> {
    const known = this.journal.get(cmd.commandId);
    if (known?.status === 'finished' && known.outcome) {
      this.logger.log(
        `command ${cmd.commandId} was already handled (${known.outcome.result}); publishing the recorded outcome again`,
      );
      await this.publishFinished(known.outcome, this.finishedEventId(cmd.commandId, seq, known.nonce), ctx);
      return { kind: 'ack', outcome: known.outcome, replayed: true };
    }
    const current = await this.dir.currentVersion();
    let fence = cmd.fencingToken;
    if (!known) {
      const early = this.validate(cmd) ?? this.superseded(seq, redelivered);
      const verdict = early
        ? ({ kind: 'refuse', ...early } as const)
        : await this.admission.judge(cmd, this.fencing.highestFor(this.admission.lockKey));
      if (verdict.kind === 'wait') return verdict;
      if (verdict.kind === 'refuse') {
        // Not journaled: a refused command changes nothing here, and a forged one must not
        // occupy the id of a real command still to come. Its event id gets a nonce of its own
        // (kept through the publish retries): a redelivered refused command is judged again.
        const outcome = this.rejected(cmd, current, verdict);
        this.logger.warn(`command ${cmd.commandId} refused: ${outcome.error}`);
        await this.publishFinished(outcome, this.finishedEventId(cmd.commandId, seq, newNonce()), ctx);
        return { kind: 'ack', outcome, replayed: false };
      }
      fence = verdict.fence;
    }
    // The admitted token and the journal entry are both on disk before anything is done; the two
    // writes run at once (recover() re-raises the token of a begun entry, should only the journal
    // write have landed before a crash). A known entry re-raises it in case its write failed.
    // A begun entry resumes the command as journaled, never the fields of the copy that arrived:
    // a forged copy reusing a running command's id must not raise the fence or change the work.
    const command = known ? known.command : cmd;
    if (known && !sameCommand(known.command, cmd))
      this.logger.warn(
        `command ${cmd.commandId} arrived with fields that differ from the journaled command it resumes; the copy's fields are ignored`,
      );
    const [entry] = await Promise.all([
      known ?? this.journal.begin({ command: cmd, messageSeq: seq, previousVersion: current }),
      this.fencing.raise(command.lockKey, known ? known.command.fencingToken : fence),
    ]);
    const report = this.reporter(command, ctx);
    const outcome = known
      ? await this.pipeline.resume(entry, report, this.abort.signal)
      : await this.pipeline.run(entry, report, this.abort.signal);
    await this.conclude(entry, outcome, seq, ctx);
    return { kind: 'ack', outcome, replayed: false };
  }

  /** Records the outcome, goes idle, then publishes it (retrying until it is stored). */
  private async conclude(entry: JournalEntry, outcome: InstallFinishedV1, seq: number, ctx: Context): Promise<void> {
    const cmd = entry.command;
    await this.journal.finish(cmd.commandId, outcome);
    this.setState('idle');
    const how = outcome.error ? `: ${outcome.error}` : outcome.noop ? ' (already running it)' : '';
    const line = `${cmd.action} ${cmd.version}: ${outcome.result}${how}`;
    if (outcome.result === 'succeeded') this.logger.log(line);
    else this.logger.warn(line);
    await this.publishFinished(outcome, this.finishedEventId(cmd.commandId, seq, entry.nonce), ctx);
  }

  private finishedEventId(commandId: string, seq: number, nonce: string | undefined): string {
    return finishedEventId(this.node.nodeId, commandId, seq, nonce);
  }

  private validate(cmd: InstallCommandV1): Refused | undefined {
    if (cmd.nodeId !== this.node.nodeId)
      return {
        refusal: CommandRefusal.WrongNode,
        reason: `the command is for node ${cmd.nodeId}, this is ${this.node.nodeId}; commands reach a node only on its own subject`,
      };
    if (cmd.component !== this.node.component)
      return {
        refusal: CommandRefusal.BadCommand,
        reason: `this node runs component ${this.node.component}, not ${cmd.component}`,
      };
    try {
      assertReleaseVersion(cmd.version);
    } catch (err) {
      return { refusal: CommandRefusal.BadCommand, reason: (err as Error).message };
    }
    if (!this.node.trustAnchor)
      return {
        refusal: CommandRefusal.NoTrustAnchor,
        reason: `this node has no trust anchor pinned, so ${cmd.artifact.uri} could be checked only against the sha256 the command itself names; pin the component's TUF root (AGENT_TRUSTED_ROOT) or, for an npm component, the registry's signing keys (AGENT_NPM_KEYS). Nothing was downloaded`,
      };
    return undefined;
  }

  /**
   * A redelivered command older than one already handled (its agent died before journaling
   * it) is stale. Only redeliveries are judged: a first delivery with a lower sequence means
   * the stream was recreated, not that the command is old.
   */
  private superseded(seq: number, redelivered: boolean): Refused | undefined {
    const highest = this.journal.highestSeq;
    if (!redelivered || seq >= highest) return undefined;
    return {
      refusal: CommandRefusal.Superseded,
      reason: `command message ${seq} arrived after this node already handled the newer message ${highest}; it was ignored so the node does not go back in time`,
    };
  }

  private rejected(cmd: InstallCommandV1, current: string | null, { refusal, reason }: Refused): InstallFinishedV1 {
    return {
      commandId: cmd.commandId,
      rolloutId: cmd.rolloutId,
      // the node that refused, even when the command named another (WRONG_NODE): an agent
      // reports only about its own node, on its own subject
      nodeId: this.node.nodeId,
      component: cmd.component,
      version: cmd.version,
      runningVersion: current,
      previousVersion: current,
      result: 'rejected',
      refusal,
      error: `${refusal}: ${reason}`,
      noop: false,
    };
  }

  private reporter(cmd: InstallCommandV1, ctx: Context): StepReporter {
    return async (step, message) => {
      this.setState(step);
      const event: InstallProgressV1 = {
        commandId: cmd.commandId,
        rolloutId: cmd.rolloutId,
        nodeId: cmd.nodeId,
        component: cmd.component,
        version: cmd.version,
        step,
        percent: STEP_PERCENT[step],
        message,
      };
      await this.events
        .progress(event, ctx)
        .catch((err: Error) =>
          this.logger.warn(`progress event ${step} of ${cmd.commandId} not published: ${err.message}`),
        );
    };
  }

  private async publishFinished(outcome: InstallFinishedV1, eventId: string, ctx: Context): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.events.finished(outcome, eventId, ctx);
        return;
      } catch (err) {
        if (this.abort.signal.aborted)
          throw new InstallStepError(
            AgentErrorCode.Interrupted,
            `outcome of ${outcome.commandId} not published: the agent is stopping`,
            { cause: err },
          );
        const delay = Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
        this.logger.warn(
          `outcome of ${outcome.commandId} not published (${(err as Error).message}); retrying in ${delay} ms`,
        );
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private setState(state: NodeInstallState): void {
    if (state === this.state) return;
    this.state = state;
    this.onStateChange(state);
  }

  /** Runs one thing at a time (commands, recovery). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }
}

/** Whether two copies of a command carry the same fields (JSON-equal; the journal stores the command as JSON). */
function sameCommand(a: InstallCommandV1, b: InstallCommandV1): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
