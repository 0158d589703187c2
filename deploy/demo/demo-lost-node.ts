import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDemoArtifact, jsonOf, startHttpReceiver, type CliRun, type ServiceProcess } from '@lockstep/testing';
import { readSlackMessage } from './demo-receivers';

/** What the demo's lost-node step needs of the run around it. */
export interface LostNodeContext {
  cli: (...args: string[]) => Promise<CliRun>;
  /** The agent processes by node id. */
  procs: Record<string, ServiceProcess>;
  /** The demo app's version on every node (`node-1=1.2.0 …`). */
  appVersions: () => Promise<string[]>;
  work: string;
  ok: (text: string) => void;
  fail: (text: string) => never;
  /** Registers what to stop at the end. */
  cleanup: (stop: () => Promise<unknown>) => void;
}

const indent = (text: string) => text.trimEnd().replace(/^/gm, '   ');

/**
 * A node goes away for good: its agent dies, the scheduler announces `node.lost` (here to a Slack
 * channel), a rollout of the whole fleet leaves it out and says why, and `lockstep nodes rm`
 * decommissions it; the component's fleet summary follows what the nodes run.
 */
export async function lostNodeStep(ctx: LostNodeContext, rollout: string[]): Promise<void> {
  const { cli, ok, fail } = ctx;
  console.log(indent((await cli('components')).stdout));
  const ops = await startHttpReceiver();
  ctx.cleanup(() => ops.stop());
  await cli(
    'subscriptions',
    'add',
    '--channel',
    'slack',
    '--url',
    `${ops.url}/services/T000/B000/ops`,
    '--events',
    'node.lost,message.dead_lettered',
    '--name',
    '#ops',
  );
  ok('Slack incoming webhook #ops for node.lost and message.dead_lettered');
  await ctx.procs['node-3'].kill('SIGKILL');
  const [lost] = await ops.waitForRequests(1, 30_000);
  const message = readSlackMessage(lost);
  if (!message.valid || !message.header.includes('node-3')) fail(`#ops did not get node-3's loss: ${message.header}`);
  ok(`node-3's agent killed (kill -9) → #ops got "${message.header}" — ${message.fields.slice(0, 2).join(' | ')}`);

  const file = join(ctx.work, 'demo-1.5.0.tar.gz');
  await writeFile(file, buildDemoArtifact('1.5.0'));
  await cli('release', 'publish', file, '--component', 'demo', '--version', '1.5.0', '--channel', 'stable');
  const run = await cli('upgrade', ...rollout, '--to', '1.5.0', '--max-parallel', '2');
  const leftOut = run.stdout.split('\n').find((l) => l.includes('left out'));
  if (!leftOut?.includes('node-3')) return fail(`the rollout did not say it left node-3 out:\n${run.stdout}`);
  const versions = await ctx.appVersions();
  if (!['node-1=1.5.0', 'node-2=1.5.0'].every((v) => versions.includes(v)))
    fail(`node-1 and node-2 are not on 1.5.0: ${versions.join(' ')}`);
  ok(`lockstep upgrade --to 1.5.0 (every node): ${leftOut.trim().replace(/\s+/g, ' ')}; ${versions.join(' ')}`);

  const removed = await cli('nodes', 'rm', 'node-3');
  ok(`lockstep nodes rm node-3: ${removed.stdout.trim()} (audited as node.removed)`);
  const summary = jsonOf<Array<{ name: string; currentVersion: string | null }>>(await cli('components', '--json'));
  const demo = summary.find((c) => c.name === 'demo');
  if (demo?.currentVersion !== '1.5.0') fail(`demo should count as 1.5.0 now: ${JSON.stringify(demo)}`);
  console.log(indent((await cli('components')).stdout));
  ok('the component counts as 1.5.0: the lowest version its live nodes run (it followed them, audited)');
  console.log(indent((await cli('dead-letters')).stdout));
}
