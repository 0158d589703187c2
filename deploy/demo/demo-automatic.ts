import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDemoArtifact, jsonOf, startHttpReceiver, waitFor } from '@lockstep/testing';
import type { UpdatesReplyV1 } from '@lockstep/contracts';
import type { LostNodeContext } from './demo-lost-node';
import { readSlackMessage } from './demo-receivers';

/** What the demo's automatic-update step needs of the run around it: what the lost-node step needs but the agents. */
export type AutomaticContext = Omit<LostNodeContext, 'procs'>;

const indent = (text: string) => text.trimEnd().replace(/^/gm, '   ');

/** The demo's policy: security fixes at once, patches and minors in the nightly window, majors after approval. */
const POLICY = `apiVersion: lockstep/v1
kind: UpdatePolicy
defaults:
  classes:
    security: immediate
    hotfix: immediate
    patch: next-window
    minor: next-window
    major: approval
    prerelease: never
  channel: stable
  minimumReleaseAge: 0s
  bypassMinimumAgeFor: [security, hotfix]
  strategy: { maxParallel: 2, canary: 0, minHealthy: 1s, healthyDeadline: 15s, failureBudget: 0, autoRollback: true }
  backupBefore: false
  windows: [nightly]
`;

/**
 * Automatic updates: a policy file applied, a security release rolled out without anyone running
 * upgrade, and a major that waits for approval (announced to Slack #releases).
 */
export async function automaticUpdateStep(ctx: AutomaticContext): Promise<void> {
  const { cli, ok, fail } = ctx;
  const must = async (...args: string[]) => {
    const run = await cli(...args);
    if (run.code !== 0) fail(`lockstep ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
    return run;
  };
  const policy = join(ctx.work, 'lockstep-policy.yaml');
  await writeFile(policy, POLICY);
  await must('settings', 'set', 'update.evaluation_interval', '1s');
  await must(
    'windows',
    'add',
    'nightly',
    '--days',
    'mon,tue,wed,thu,fri',
    '--time',
    '02:00',
    '--duration',
    '3h',
    '--timezone',
    'Europe/Berlin',
  );
  const applied = await must('policy', 'apply', '-f', policy);
  console.log(indent(applied.stdout));
  ok(
    'lockstep policy apply -f lockstep-policy.yaml: security at once, patches in the nightly window, majors after approval',
  );
  const releases = await startHttpReceiver();
  ctx.cleanup(() => releases.stop());
  await must(
    'subscriptions',
    'add',
    '--channel',
    'slack',
    '--url',
    `${releases.url}/services/T000/B000/releases`,
    '--events',
    'update.approval_requested',
    '--name',
    '#releases',
  );

  const publish = async (version: string, ...flags: string[]) => {
    const file = join(ctx.work, `demo-${version}.tar.gz`);
    await writeFile(file, buildDemoArtifact(version));
    await must(
      'release',
      'publish',
      file,
      '--component',
      'demo',
      '--version',
      version,
      '--channel',
      'stable',
      ...flags,
    );
    await must('check', 'demo');
  };
  await publish('1.5.1', '--security');
  const rolled = await waitFor(
    async () => {
      const versions = await ctx.appVersions();
      return versions.filter((v) => v.endsWith('=1.5.1')).length === 2 ? versions : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500, what: 'the automatic rollout of 1.5.1' },
  ).catch(() => fail('security release 1.5.1 was not rolled out on its own'));
  ok(`security release 1.5.1 published → rolled out by the scheduler, no one ran upgrade: ${rolled!.join(' ')}`);
  console.log(indent((await must('rollouts', '--limit', '2')).stdout));

  await publish('2.0.0');
  const [request] = await releases.waitForRequests(1, 60_000);
  const message = readSlackMessage(request);
  if (!message.valid || !message.header.includes('2.0.0'))
    fail(`#releases got no approval request for 2.0.0: ${message.header}`);
  ok(`major 2.0.0 published → #releases got "${message.header}"`);
  const updates = jsonOf<UpdatesReplyV1>(await must('updates', '--json'));
  const major = updates.items.find((u) => u.version === '2.0.0');
  if (major?.decision !== 'wait-approval') fail(`2.0.0 should wait for approval: ${JSON.stringify(major)}`);
  console.log(indent((await must('updates')).stdout));
  ok(
    'lockstep updates: 2.0.0 waits for approval (lockstep approve demo 2.0.0 lets it go out in the next nightly window)',
  );
}
