import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import type { TestFleet } from '../../test/support/fleet';
import type { FleetInfra } from './private-infra';
import type { WebhookWatch } from './webhook-watch';

/*
 * What every scenario file of the fault matrix shares: the shape of a scenario and the waits
 * it is built from (a first matching message, a rollout settled).
 */

/**
 * Fleets a scenario can run on: `plain` (no backups), `backup` (a backup service, and agents
 * that take a pre-update backup of their shared/ and data directories before every install),
 * or `cluster` (a backup fleet on a NATS cluster of three servers).
 */
export type FleetKind = 'plain' | 'backup' | 'cluster';

/** What every scenario gets: the fleet of its kind, shared with the others, and a fresh version to roll out. */
export interface FaultContext {
  fleet: TestFleet;
  /** The fleet's own Postgres server (and NATS cluster), which a scenario may stop (see outage-scenarios.ts). */
  infra: FleetInfra;
  /** The fleet's webhook subscription and its notifier (every fleet has one). */
  webhooks: WebhookWatch;
  /** A version no rollout used yet (1.<n>.0), published with padding so every step takes a moment. */
  publishNext(options?: { broken?: boolean }): Promise<string>;
}

/** How a scenario went, for its report line; the runner checks the invariants afterwards. */
export interface FaultRun {
  /** The rollouts the scenario started, in order; the last one records what the nodes should run. */
  rolloutIds: string[];
  /** Where the fault actually landed (e.g. the step the killed agent's journal was at). */
  landed: string;
  /** What the scenario itself found broken beyond the shared invariants (e.g. events dead-lettered). */
  findings?: string[];
}

/** One row of the fault matrix. */
export interface FaultScenario {
  name: string;
  fleet: FleetKind;
  /** A control: it breaks an invariant on purpose, so the checks must catch it. */
  control?: true;
  run(ctx: FaultContext): Promise<FaultRun>;
}

/** Final rollout states; `failed` too without auto-rollback (see settle). */
const FINAL_STATES = ['succeeded', 'aborted', 'rolled_back'];
/** How long a failed rollout with auto-rollback and no node moving may wait for its move to rolled_back (lease 3 s, reconcile 250 ms). */
const STUCK_MS = 12_000;
/** Incompressible padding per release: download, verify and unpack each take a few tens of ms. */
export const PADDING_BYTES = 6 << 20;

export const paddedRelease = () => ({ extra: [{ path: 'padding.bin', data: randomBytes(PADDING_BYTES) }] });

/**
 * Resolves with the first message on `subject` whose JSON satisfies `match`; stops listening
 * then. Rejects after `timeoutMs`, handled even when the scenario gave up on it first.
 */
export function firstMessage<T>(
  nc: NatsConnection,
  subject: string,
  match: (body: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const sub = nc.subscribe(subject);
  const timer = setTimeout(() => sub.unsubscribe(), timeoutMs);
  const found = (async () => {
    for await (const m of sub) {
      const body = m.json<T>();
      if (match(body)) {
        clearTimeout(timer);
        sub.unsubscribe();
        return body;
      }
    }
    throw new Error(`no ${what} within ${timeoutMs} ms`);
  })();
  found.catch(() => undefined);
  return found;
}

/**
 * Waits until the rollout is final and no node of it is installing or reverting; returns its
 * state. With auto-rollback, `failed` is a way station to `rolled_back`: it counts as final
 * only once it stood still for STUCK_MS (the invariants then report the revert as lost).
 * After the timeout, returns whatever the state is (the invariants judge that too).
 */
export async function settle(fleet: TestFleet, rolloutId: string, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let stillSince: number | undefined;
  for (;;) {
    const { rows } = await fleet.dep.pg.query(
      `SELECT r.state, coalesce((r.strategy->>'autoRollback')::boolean, false) AS auto_rollback,
        (SELECT count(*)::int FROM rollout_nodes n WHERE n.rollout_id = r.id AND n.status IN ('installing', 'reverting')) AS moving
       FROM rollouts r WHERE r.id = $1`,
      [rolloutId],
    );
    const r = rows[0] as { state: string; auto_rollback: boolean; moving: number } | undefined;
    if (r && FINAL_STATES.includes(r.state) && r.moving === 0) return r.state;
    if (r?.state === 'failed' && r.moving === 0) {
      stillSince ??= Date.now();
      if (!r.auto_rollback || Date.now() - stillSince > STUCK_MS) return r.state;
    } else stillSince = undefined;
    if (Date.now() > deadline) return r?.state ?? 'missing';
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** The rollout's final state and the node's status in it, for the report line. */
export async function outcomeOf(fleet: TestFleet, rolloutId: string, nodeId: string): Promise<string> {
  const state = await settle(fleet, rolloutId);
  const row = (await fleet.nodeRows(rolloutId)).find((r) => r.node_id === nodeId);
  return `rollout ${state}, ${nodeId} ${row?.status ?? 'not in it'}`;
}

/** Rolls a new version out to every node at once and waits for it to succeed (throws otherwise). */
export async function succeededRollout(
  fleet: TestFleet,
  publishNext: FaultContext['publishNext'],
): Promise<{ rolloutId: string; version: string }> {
  const version = await publishNext();
  const rolloutId = await fleet.rollout({ version, maxParallel: fleet.nodes.length });
  const state = await settle(fleet, rolloutId);
  if (state !== 'succeeded') throw new Error(`the rollout to ${version} ${state}`);
  return { rolloutId, version };
}
