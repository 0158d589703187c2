/**
 * When the benchmark saw each install event of a namespace: per command, the arrival of every
 * progress event (one per step) and of its install.finished event. A plain NATS subscription
 * on the events' subjects, so it sees them as they are published, like the scheduler does.
 */
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { Subjects, type InstallFinishedV1, type InstallProgressV1 } from '@lockstep/contracts';

/** What arrived for one command, with performance.now() times. */
export interface CommandMarks {
  steps: Array<{ step: string; at: number }>;
  finished?: { at: number; event: InstallFinishedV1 };
}

export class InstallTimeline {
  readonly commands = new Map<string, CommandMarks>();
  private readonly sub: Subscription;
  private listener?: (commandId: string, marks: CommandMarks) => void;

  private constructor(
    private readonly nc: NatsConnection,
    namespace: string,
  ) {
    this.sub = nc.subscribe(`${namespace}.evt.node.install.*.v1.*`, {
      callback: (err, msg) => {
        if (err) return;
        const at = performance.now();
        if (msg.subject.includes(Subjects.InstallProgress)) {
          const p = msg.json<{ data: InstallProgressV1 }>().data;
          this.marksOf(p.commandId).steps.push({ step: p.step, at });
          return;
        }
        const e = msg.json<{ data: InstallFinishedV1 }>().data;
        const marks = this.marksOf(e.commandId);
        if (marks.finished) return;
        marks.finished = { at, event: e };
        this.listener?.(e.commandId, marks);
      },
    });
  }

  /** Subscribes; resolves once the server has the subscription. */
  static async start(nc: NatsConnection, namespace: string): Promise<InstallTimeline> {
    const t = new InstallTimeline(nc, namespace);
    await nc.flush();
    return t;
  }

  /** Called with every first install.finished of a command. */
  onFinished(listener: (commandId: string, marks: CommandMarks) => void): void {
    this.listener = listener;
  }

  stop(): void {
    this.sub.unsubscribe();
  }

  /** Arrival of the command's first progress event (the agent started it). */
  started(commandId: string): number | undefined {
    return this.commands.get(commandId)?.steps[0]?.at;
  }

  /** Arrival of the command's install.finished event. */
  finished(commandId: string): number | undefined {
    return this.commands.get(commandId)?.finished?.at;
  }

  /**
   * Milliseconds per step summed over `commandIds`: from each step's event to the next one (the
   * last step ends at install.finished); `queued` runs from `sentAt` to the first progress event.
   */
  stepTotals(commandIds: string[], sentAt: number): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const id of commandIds) {
      const m = this.commands.get(id);
      if (!m?.finished) continue;
      const points = [{ step: 'queued', at: sentAt }, ...m.steps, { step: 'finished', at: m.finished.at }];
      for (let i = 0; i + 1 < points.length; i++)
        totals[points[i].step] = (totals[points[i].step] ?? 0) + (points[i + 1].at - points[i].at);
    }
    return totals;
  }

  private marksOf(commandId: string): CommandMarks {
    let m = this.commands.get(commandId);
    if (!m) this.commands.set(commandId, (m = { steps: [] }));
    return m;
  }
}
