import type { InstallResult, RolloutNodeStatus, RolloutState } from '@lockstep/contracts';
import type { RolloutEntity, RolloutNodeEntity, RolloutStrategy } from '@lockstep/persistence';
import type { BatchProgress, RolloutAudit, RolloutRepository, TransitionResult } from '../rollouts/rollout.repository';
import type { CommandWithdrawalRepository, PendingWithdrawal } from '../rollouts/command-withdrawal.repository';
import {
  FINISHED_ROLLOUT_STATES,
  NODE_STATUSES,
  NODE_STATUS_AFTER,
  NODE_STATUS_ON_TIMEOUT,
  NODE_STATUS_WHILE,
  NODE_STATUSES_TO_REVERT_LATE,
  ROLLOUT_ACTIONS,
  canMoveNode,
  canMoveRollout,
  statusAfterLateRevert,
  type ConductorTarget,
  type NodeCommandAction,
  type RolloutAction,
} from '../rollouts/rollout-state-machine';
import type { ManualClock } from './manual-clock';

/** The strategy of a spec's rollout unless it says otherwise. */
export const specStrategy = (over: Partial<RolloutStrategy> = {}): RolloutStrategy => ({
  maxParallel: 2,
  canary: 1,
  minHealthyMs: 0,
  healthyDeadlineMs: 60_000,
  progressDeadlineMs: 600_000,
  maxFailures: 0,
  autoRollback: false,
  pauseBetweenBatchesMs: 0,
  ...over,
});

/** A node of a spec's plan: its id and batch (batch 0 is the canary batch when `canary`). */
export interface FakeNode {
  id: string;
  batch: number;
  canary?: boolean;
  fromVersion?: string;
}

/**
 * The conductor's part of RolloutRepository (and CommandWithdrawalRepository) over one rollout in
 * memory. It follows the same state machine table as the SQL, and records every rollout move with
 * who made it.
 */
export class FakeRolloutRepository
  implements
    Pick<
      RolloutRepository,
      | 'claim'
      | 'get'
      | 'nodes'
      | 'transition'
      | 'markSent'
      | 'batchProgress'
      | 'markTimedOut'
      | 'backupsOf'
      | 'lateReverts'
    >,
    Pick<CommandWithdrawalRepository, 'recordSeqs' | 'pending' | 'markWithdrawn'>
{
  readonly id = '00000000-0000-4000-8000-000000000001';
  /** Every move of the rollout: `from → to (by)`. */
  readonly moves: string[] = [];
  /** Audit records the conductor's sends wrote: `<action> <nodes>`. */
  readonly audits: string[] = [];
  /** Runs before the conductor's move is applied: lets a spec race it (an operator's late abort). */
  beforeTransition?: (to: ConductorTarget) => void;
  private rollout: RolloutEntity;
  private readonly byId = new Map<string, RolloutNodeEntity>();
  private token = 0;

  constructor(
    private readonly clock: ManualClock,
    strategy: RolloutStrategy,
    nodes: FakeNode[],
  ) {
    const now = new Date(clock.now());
    this.rollout = {
      id: this.id,
      component: 'demo',
      targetVersion: '1.1.0',
      kind: 'upgrade',
      artifact: { uri: 's3://bucket/demo-1.1.0.tar.gz', sha256: 'a'.repeat(64), length: 1 },
      selector: 'all',
      strategy,
      state: 'planned',
      reason: null,
      lockToken: '0',
      conductor: null,
      rollbackOf: null,
      skipped: [],
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    for (const n of nodes)
      this.byId.set(n.id, {
        rolloutId: this.id,
        nodeId: n.id,
        batch: n.batch,
        canary: n.canary ?? false,
        fromVersion: n.fromVersion ?? '1.0.0',
        status: 'pending',
        commandId: null,
        commandSeq: null,
        withdrawSeq: null,
        step: null,
        percent: 0,
        error: null,
        backupId: null,
        startedAt: null,
        finishedAt: null,
      });
  }

  /** The rollout's state now. */
  get state(): RolloutState {
    return this.rollout.state;
  }

  /** A node's status now. */
  status(nodeId: string): RolloutNodeStatus {
    return this.node(nodeId).status;
  }

  /** A node as stored now. */
  node(nodeId: string): RolloutNodeEntity {
    const n = this.byId.get(nodeId);
    if (!n) throw new Error(`no node ${nodeId}`);
    return n;
  }

  /** Puts the rollout and some nodes where an earlier conductor left them (it died there). */
  seed(state: RolloutState, statuses: Record<string, RolloutNodeStatus>): void {
    this.rollout.state = state;
    for (const [id, status] of Object.entries(statuses)) this.node(id).status = status;
  }

  /** An operator's pause/resume/abort, as RolloutRepository.operatorAction applies it. */
  operator(action: RolloutAction): void {
    const to = ROLLOUT_ACTIONS[action];
    if (!canMoveRollout(this.state, to, 'operator'))
      throw new Error(`cannot ${action} a rollout that is ${this.state}`);
    this.setState(to, 'operator', `${action} by operator`);
  }

  /** An agent's outcome of a command, as InstallOutcomesRepository.applyFinished applies it. */
  finish(commandId: string, result: InstallResult, error?: string, runningVersion: string | null = null): void {
    const n = [...this.byId.values()].find((x) => x.commandId === commandId);
    if (!n) return;
    const action: NodeCommandAction = commandId.endsWith('.revert') ? 'rollback' : 'install';
    const to =
      n.status === NODE_STATUS_ON_TIMEOUT.rollback
        ? statusAfterLateRevert(result, runningVersion, n.fromVersion)
        : NODE_STATUS_AFTER[action][result];
    if (!canMoveNode(n.status, to)) return;
    Object.assign(n, { status: to, error: error ?? null, finishedAt: new Date(this.clock.now()), percent: 100 });
  }

  async claim(_id: string, token: number): Promise<boolean> {
    if (token < this.token) return false;
    this.token = token;
    return true;
  }

  async get(): Promise<RolloutEntity | null> {
    return { ...this.rollout };
  }

  async nodes(): Promise<RolloutNodeEntity[]> {
    return [...this.byId.values()]
      .sort((a, b) => a.batch - b.batch || a.nodeId.localeCompare(b.nodeId))
      .map((n) => ({ ...n }));
  }

  async transition(_id: string, token: number, to: ConductorTarget, reason?: string): Promise<TransitionResult> {
    this.beforeTransition?.(to);
    if (token !== this.token) return { outcome: 'stale' };
    const from = this.state;
    if (from === to) return { outcome: 'unchanged' };
    if (!canMoveRollout(from, to, 'conductor')) return { outcome: 'refused', state: from };
    this.setState(to, 'conductor', reason ?? null);
    return { outcome: 'moved', from };
  }

  async markSent(
    _id: string,
    sends: Array<{ nodeId: string; commandId: string }>,
    status: (typeof NODE_STATUS_WHILE)[NodeCommandAction],
    token: number,
    audit?: RolloutAudit,
  ): Promise<{ stale: boolean; marked: string[] }> {
    if (token !== this.token) return { stale: true, marked: [] };
    const marked: string[] = [];
    for (const s of sends) {
      const n = this.node(s.nodeId);
      if (!canMoveNode(n.status, status)) continue;
      const at = new Date(this.clock.now());
      Object.assign(n, {
        status,
        commandId: s.commandId,
        commandSeq: null,
        startedAt: at,
        finishedAt: null,
        error: null,
        percent: 0,
      });
      marked.push(s.nodeId);
    }
    if (audit && marked.length) this.audits.push(`${audit.action} ${marked.sort().join(',')}`);
    return { stale: false, marked: marked.sort() };
  }

  async batchProgress(_id: string, nodeIds: string[], deadlineMs: number): Promise<BatchProgress> {
    const all = [...this.byId.values()];
    return {
      state: this.state,
      failed: all.filter((n) => NODE_STATUSES[n.status].failure).length,
      open: all
        .filter((n) => nodeIds.includes(n.nodeId) && !NODE_STATUSES[n.status].settled)
        .map((n) => ({ nodeId: n.nodeId, overdue: this.pastDeadline(n, deadlineMs) })),
    };
  }

  async markTimedOut(_id: string, nodeIds: string[], token: number, deadlineMs: number): Promise<string[]> {
    if (token !== this.token) return [];
    const marked: string[] = [];
    for (const nodeId of nodeIds) {
      const n = this.node(nodeId);
      const action = (Object.keys(NODE_STATUS_WHILE) as NodeCommandAction[]).find(
        (a) => NODE_STATUS_WHILE[a] === n.status,
      );
      if (!action || !this.pastDeadline(n, deadlineMs)) continue;
      Object.assign(n, {
        status: NODE_STATUS_ON_TIMEOUT[action],
        error: `no outcome within the progress deadline (${deadlineMs} ms)`,
        finishedAt: new Date(this.clock.now()),
        withdrawSeq: action === 'install' ? n.commandSeq : n.withdrawSeq,
      });
      marked.push(nodeId);
    }
    return marked;
  }

  /** The fake's clock stands in for the database's: it alone judges the progress deadline. */
  private pastDeadline(n: RolloutNodeEntity, deadlineMs: number): boolean {
    return n.startedAt !== null && this.clock.now() - n.startedAt.getTime() > deadlineMs;
  }

  async recordSeqs(_id: string, sent: Array<{ nodeId: string; commandId: string; seq: number }>): Promise<void> {
    for (const s of sent) {
      const n = this.node(s.nodeId);
      if (n.commandId !== s.commandId) continue;
      n.commandSeq = String(s.seq);
      if (n.status === NODE_STATUS_ON_TIMEOUT.install) n.withdrawSeq = String(s.seq);
    }
  }

  async pending(): Promise<PendingWithdrawal[]> {
    return [...this.byId.values()]
      .filter((n) => n.withdrawSeq !== null)
      .map((n) => ({ rolloutId: this.id, nodeId: n.nodeId, seq: Number(n.withdrawSeq) }));
  }

  async markWithdrawn(w: PendingWithdrawal): Promise<void> {
    const n = this.node(w.nodeId);
    if (n.withdrawSeq === String(w.seq)) n.withdrawSeq = null;
  }

  /** No newer rollouts here: every node a late outcome left to revert. */
  async lateReverts(): Promise<string[]> {
    return [...this.byId.values()]
      .filter((n) => (NODE_STATUSES_TO_REVERT_LATE as readonly string[]).includes(n.status) && n.fromVersion)
      .map((n) => n.nodeId)
      .sort();
  }

  async backupsOf(): Promise<Map<string, string>> {
    return new Map();
  }

  private setState(to: RolloutState, by: string, reason: string | null): void {
    this.moves.push(`${this.state} → ${to} (${by})`);
    const finished = (FINISHED_ROLLOUT_STATES as readonly string[]).includes(to);
    this.rollout = {
      ...this.rollout,
      state: to,
      reason,
      updatedAt: new Date(this.clock.now()),
      finishedAt: finished ? new Date(this.clock.now()) : this.rollout.finishedAt,
    };
  }
}
