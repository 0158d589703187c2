import { CommandRefusal, type InstallCommandV1 } from '@lockstep/contracts';
import type { LiveHolder } from '@lockstep/fleet-lock';

/** What an agent obeys: the holder of one lock, and only fresh commands. */
export interface AdmissionPolicy {
  /** AGENT_LOCK_KEY: the only lock whose live holder this agent obeys (the scheduler's `cluster`). */
  lockKey: string;
  /** AGENT_COMMAND_MAX_AGE: a command whose `issuedAt` is further than this from `now()` is refused. */
  maxAgeMs: number;
  /** The agent's clock (epoch ms). */
  now: () => number;
}

/** Reads the live holder of a lock (undefined: nobody holds it); throws when the lock cannot be read. */
export type LiveHolderReader = (lockKey: string) => Promise<LiveHolder | undefined>;

/** The verdict on one command. */
export type Admission =
  /** Run it; raise the fence to `fence` first (the live holder's token, never above its entry). */
  | { kind: 'admit'; fence: number }
  /** Final: answer with a `rejected` outcome carrying `refusal`; nothing on the node changes. */
  | { kind: 'refuse'; refusal: CommandRefusal; reason: string }
  /** The lock could not be read: leave the command for redelivery, never run it on a guess. */
  | { kind: 'wait'; reason: string };

const refuse = (refusal: CommandRefusal, reason: string): Admission => ({ kind: 'refuse', refusal, reason });

/**
 * Decides whether a command comes from the live holder of the agent's lock. A command is
 * obeyed only when its lock key is the agent's own, it is fresh, and its fencing token is the
 * live holder's token — or it belongs to the rollout that holder conducts (command ids are
 * fixed per rollout and node, so a holder that took over a rollout resends the old holder's
 * commands under the same ids, and the stream keeps the first copy with the older token).
 * The fence (newest token seen) never exceeds a live token, so a fence above the live holder's
 * token means the lock bucket was recreated, and everything is refused until it is reset.
 */
export class CommandAdmission {
  constructor(
    private readonly policy: AdmissionPolicy,
    private readonly readHolder: LiveHolderReader,
  ) {}

  /** The lock key this agent obeys. */
  get lockKey(): string {
    return this.policy.lockKey;
  }

  /** Judges `cmd` against the live lock, given `fence`, the newest token this node has seen for the lock. */
  async judge(cmd: InstallCommandV1, fence: number): Promise<Admission> {
    const early = this.checkKeyAndAge(cmd);
    if (early) return early;
    let live: LiveHolder | undefined;
    try {
      live = await this.readHolder(this.policy.lockKey);
    } catch (err) {
      return {
        kind: 'wait',
        reason: `lock ${this.policy.lockKey} could not be read (${(err as Error).message}); the command waits for redelivery until NATS answers`,
      };
    }
    return this.byHolder(cmd, live, fence);
  }

  private checkKeyAndAge(cmd: InstallCommandV1): Admission | undefined {
    const { lockKey, maxAgeMs, now } = this.policy;
    if (cmd.lockKey !== lockKey)
      return refuse(
        CommandRefusal.UnknownLockKey,
        `the command names lock ${JSON.stringify(cmd.lockKey)}, but this agent obeys only the holder of lock ${JSON.stringify(lockKey)} (AGENT_LOCK_KEY); a scheduler sends commands under that lock only`,
      );
    const issued = Date.parse(cmd.issuedAt);
    if (Number.isNaN(issued))
      return refuse(CommandRefusal.BadCommand, `issuedAt ${JSON.stringify(cmd.issuedAt)} is not an RFC 3339 time`);
    const age = now() - issued;
    if (Math.abs(age) > maxAgeMs) {
      const how =
        age > 0
          ? `was issued ${Math.round(age / 1000)} s ago`
          : `claims to be issued ${Math.round(-age / 1000)} s in the future`;
      return refuse(
        CommandRefusal.Expired,
        `the command ${how}, more than AGENT_COMMAND_MAX_AGE (${Math.round(maxAgeMs / 1000)} s) allows; start the rollout again, and check the clocks of the scheduler and this node if this repeats`,
      );
    }
    if (cmd.deadline !== undefined) {
      const deadline = Date.parse(cmd.deadline);
      if (Number.isNaN(deadline))
        return refuse(CommandRefusal.BadCommand, `deadline ${JSON.stringify(cmd.deadline)} is not an RFC 3339 time`);
      if (now() > deadline)
        return refuse(
          CommandRefusal.Expired,
          `the command's deadline ${cmd.deadline} has passed: rollout ${cmd.rolloutId} gave up on this node, so it is not started late`,
        );
    }
    return undefined;
  }

  private byHolder(cmd: InstallCommandV1, live: LiveHolder | undefined, fence: number): Admission {
    const key = this.policy.lockKey;
    if (!live)
      return refuse(
        CommandRefusal.NoLiveHolder,
        `nobody holds lock ${key} now, so the command (token ${cmd.fencingToken}) does not come from its live holder; a scheduler sends commands only while it holds the lock`,
      );
    const holders = cmd.fencingToken === live.token;
    const holdersRollout = cmd.rolloutId === live.rolloutId && cmd.fencingToken <= live.token;
    if (!holders && !holdersRollout)
      return refuse(
        CommandRefusal.NotLiveHolder,
        `fencing token ${cmd.fencingToken} (rollout ${cmd.rolloutId}) is not the token ${live.token} of the live holder of lock ${key} (rollout ${live.rolloutId}); only the live holder is obeyed`,
      );
    if (fence > live.token)
      return refuse(
        CommandRefusal.StaleFencingToken,
        `this node has seen token ${fence} of lock ${key}, newer than the live holder's ${live.token}: the lock bucket was recreated. Stop the agent, remove AGENT_DIR/state/fencing.json once no old scheduler can send commands, and start it again`,
      );
    return { kind: 'admit', fence: live.token };
  }
}
