import { ROLLOUT_ID, rolloutPlan } from '../testing/rollout-fixtures';
import { describeFailureBudget, formatRolloutCreated, formatPlan } from './rollout-plan';

describe(formatPlan.name, () => {
  it('shows the lock, nodes already at the version, the failure budget, then each batch in order with from → to, canaries marked', () => {
    const sut = formatPlan(rolloutPlan(), true);

    expect(sut).toBe(
      [
        'lock:             cluster (held for the whole rollout; one rollout per cluster)',
        'nodes:            3 to update in 2 batches',
        'already at 1.1.0: node-4',
        'failure budget:   0 nodes may fail; the 1st failure fails the rollout, then every node it updated returns to its previous version (auto-rollback)',
        '',
        'BATCH     NODE    VERSION',
        '1 canary  node-1  1.0.0 → 1.1.0',
        '2         node-2  1.0.0 → 1.1.0',
        '2         node-3  (none) → 1.1.0',
        '',
      ].join('\n'),
    );
  });

  it('says there is nothing to do when every selected node runs the version', () => {
    const sut = formatPlan(rolloutPlan({ batches: [], alreadyAtVersion: ['node-1', 'node-2'] }));

    expect(sut).toMatch(/already at 1\.1\.0: node-1, node-2\n/);
    expect(sut).toMatch(/\nnothing to do: every selected node already runs 1\.1\.0\n$/);
  });
});

describe(describeFailureBudget.name, () => {
  it.each([
    [
      0,
      true,
      '0 nodes may fail; the 1st failure fails the rollout, then every node it updated returns to its previous version (auto-rollback)',
    ],
    [
      1,
      false,
      '1 node may fail; the 2nd failure fails the rollout; updated nodes stay where they are (--no-auto-rollback)',
    ],
    [2, undefined, '2 nodes may fail; the 3rd failure fails the rollout'],
    [10, undefined, '10 nodes may fail; the 11th failure fails the rollout'],
  ])('%i, auto-rollback %s', (max, autoRollback, text) => {
    expect(describeFailureBudget(max, autoRollback)).toBe(text);
  });
});

describe(formatRolloutCreated.name, () => {
  it('says a dry run started nothing', () => {
    expect(formatRolloutCreated({ rolloutId: null, dryRun: true, plan: rolloutPlan() })).toMatch(
      /^dry run: upgrade demo to 1\.1\.0; nothing was started\nlock: /,
    );
  });

  it('names the started rollout and how to follow it', () => {
    const sut = formatRolloutCreated({
      rolloutId: ROLLOUT_ID,
      dryRun: false,
      plan: rolloutPlan({ kind: 'downgrade' }),
    });

    expect(sut).toMatch(new RegExp(`^started rollout ${ROLLOUT_ID}: downgrade demo to 1\\.1\\.0\\n`));
    expect(sut).toMatch(new RegExp(`\\nfollow it with: lockstep rollouts show ${ROLLOUT_ID} --wait\\n$`));
  });
});
