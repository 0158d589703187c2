import type { RolloutCreated, RolloutPlanV1, SkippedNodeV1 } from '@lockstep/contracts';
import { renderFields, renderTableLines } from '../output';

interface PlanRow {
  batch: string;
  node: string;
  versions: string;
}

/** The `left out` field of a plan or rollout: each node it leaves out and why; none when it leaves none out. */
export const leftOutField = (skipped: SkippedNodeV1[] | undefined): Array<[string, string]> =>
  skipped?.length ? [['left out', skipped.map((s) => `${s.nodeId} (${s.reason})`).join(', ')]] : [];

/** Ordinal for budget sentences: 1st, 2nd, 3rd, 4th, 11th, 21st. */
const ordinal = (n: number): string =>
  `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th')}`;

/** The failure budget in words: how many nodes may fail, which failure fails the rollout, what happens then. */
export function describeFailureBudget(maxFailures: number, autoRollback: boolean | undefined): string {
  const budget =
    maxFailures === 0
      ? '0 nodes may fail; the 1st failure fails the rollout'
      : `${maxFailures} node${maxFailures === 1 ? '' : 's'} may fail; the ${ordinal(maxFailures + 1)} failure fails the rollout`;
  if (autoRollback === undefined) return budget;
  return `${budget}${autoRollback ? ', then every node it updated returns to its previous version (auto-rollback)' : '; updated nodes stay where they are (--no-auto-rollback)'}`;
}

/**
 * A plan as operators read it: the lock, the nodes already at the version, the failure
 * budget, then every batch in order with its nodes and their from → to versions, canary
 * batches marked.
 */
export function formatPlan(plan: RolloutPlanV1, autoRollback?: boolean): string {
  const todo = plan.batches.reduce((n, b) => n + b.nodes.length, 0);
  const fields = renderFields([
    ['lock', `${plan.lockKey} (held for the whole rollout; one rollout per cluster)`],
    [
      'nodes',
      `${todo} to ${plan.kind === 'rollback' ? 'roll back' : 'update'} in ${plan.batches.length} batch${plan.batches.length === 1 ? '' : 'es'}`,
    ],
    [`already at ${plan.version}`, plan.alreadyAtVersion.length ? plan.alreadyAtVersion.join(', ') : 'none'],
    ...leftOutField(plan.skipped),
    ['failure budget', describeFailureBudget(plan.maxFailures, autoRollback)],
  ]);
  if (todo === 0) return `${fields}\nnothing to do: every selected node already runs ${plan.version}\n`;
  const rows: PlanRow[] = plan.batches.flatMap((b) =>
    b.nodes.map((n) => ({
      batch: `${b.index + 1}${b.canary ? ' canary' : ''}`,
      node: n.id,
      versions: `${n.fromVersion ?? '(none)'} → ${plan.version}`,
    })),
  );
  const table = renderTableLines<PlanRow>(
    [
      { header: 'BATCH', value: (r) => r.batch },
      { header: 'NODE', value: (r) => r.node },
      { header: 'VERSION', value: (r) => r.versions },
    ],
    rows,
  );
  return `${fields}\n${table.join('\n')}\n`;
}

/** What `upgrade`/`downgrade`/`rollback` print once the API answered: the plan, and what was (or was not) started. */
export function formatRolloutCreated(
  created: RolloutCreated,
  autoRollback?: boolean,
  options: { followHint?: boolean } = {},
): string {
  const { plan } = created;
  const what = `${plan.kind} ${plan.component} to ${plan.version}`;
  if (created.dryRun || !created.rolloutId)
    return `dry run: ${what}; nothing was started\n${formatPlan(plan, autoRollback)}`;
  const hint =
    options.followHint === false ? '' : `\nfollow it with: lockstep rollouts show ${created.rolloutId} --wait\n`;
  return `started rollout ${created.rolloutId}: ${what}\n${formatPlan(plan, autoRollback)}${hint}`;
}
