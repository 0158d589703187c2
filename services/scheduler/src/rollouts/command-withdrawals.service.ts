import { Injectable, Logger } from '@nestjs/common';
import { NodeCommander } from '../fleet/node-commander';
import { CommandWithdrawalRepository } from './command-withdrawal.repository';

/**
 * Withdraws installs that ran past the progress deadline from the COMMANDS stream, so a node
 * that comes back later never receives them (their deadline protects it meanwhile). The
 * conductor runs it as soon as it marked nodes timed out; every reconciler tick runs it again,
 * so a withdrawal NATS refused (an outage) is retried, also after the rollout ended.
 */
@Injectable()
export class CommandWithdrawals {
  private readonly logger = new Logger(CommandWithdrawals.name);
  /** Sequences whose failed withdrawal was logged already: an outage warns once per command, not every second. */
  private readonly warned = new Set<number>();

  constructor(
    private readonly repo: CommandWithdrawalRepository,
    private readonly commander: NodeCommander,
  ) {}

  /** Remembers where published commands lie in the stream (what a withdrawal deletes). */
  recordSent(rolloutId: string, sent: Array<{ nodeId: string; commandId: string; seq: number }>): Promise<void> {
    return this.repo.recordSeqs(rolloutId, sent);
  }

  /**
   * Withdraws the queued commands, oldest first. The first that fails ends the run (NATS is most
   * likely down, and each try would wait out its timeout): it and the rest stay queued. Returns
   * how many are left.
   */
  async run(): Promise<number> {
    const pending = await this.repo.pending();
    for (const [i, w] of pending.entries()) {
      try {
        await this.commander.withdraw(w.seq);
      } catch (err) {
        if (!this.warned.has(w.seq))
          this.logger.warn(
            `could not withdraw the install of rollout ${w.rolloutId} to node ${w.nodeId} (stream seq ${w.seq}): ${(err as Error).message}; retrying on the next reconcile (its deadline keeps the agent from acting on it)`,
          );
        this.warned.add(w.seq);
        return pending.length - i;
      }
      await this.repo.markWithdrawn(w);
      this.warned.delete(w.seq);
      this.logger.log(`withdrew the install of rollout ${w.rolloutId} to node ${w.nodeId} (stream seq ${w.seq})`);
    }
    return 0;
  }
}
