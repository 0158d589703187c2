import type { Command } from 'commander';
import type { ListOf, NodeRemovedV1, NodeView } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo, renderTable } from '../output';

const NODE_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** `lockstep nodes [list]`: the fleet as its agents report it; `nodes rm ID`: remove a node that is gone. */
export function registerNodes(program: Command, ctx: CliContext): void {
  const nodes = program
    .command('nodes')
    .description('the fleet as its agents report it (list), and removing a node that is gone for good (rm)');
  nodes
    .command('list', { isDefault: true })
    .description(
      'nodes whose agents registered: what they run, their labels, install state and last heartbeat (lost ones marked)',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.api(cmd).get<ListOf<NodeView>>('/v1/nodes');
      ctx.print(cmd, items, () => formatNodes(items, ctx.now()));
    });
  nodes
    .command('rm <id>')
    .description(
      'remove a node that is gone (LOST in lockstep nodes): its record and its command consumer, so rollouts stop counting it (audited; operator). Refused while an active rollout includes it. A removed node whose agent heart-beats again reappears',
    )
    .option(
      '--force',
      'remove it although it still heart-beats (it reappears with its next heartbeat unless its agent is stopped)',
    )
    .action(async (id: string, _o: unknown, cmd: Command) => {
      if (!NODE_ID.test(id))
        throw new UsageError(
          `"${id}" is not a node id (lowercase letters, digits, dash, underscore, as lockstep nodes shows it)`,
        );
      const force = ctx.options<{ force?: boolean }>(cmd).force === true;
      const removed = await ctx.api(cmd).delete<NodeRemovedV1>(`/v1/nodes/${id}${force ? '?force=true' : ''}`);
      ctx.print(cmd, removed, () => formatRemoved(removed));
    });
}

/** What `nodes rm` prints once the node is gone. */
export function formatRemoved(r: NodeRemovedV1): string {
  const state = r.wasLost ? 'lost' : 'still heart-beating, removed with --force';
  const consumer = r.consumerDeleted ? ' and its command consumer' : '';
  return `removed node ${r.nodeId} (${state}; last heartbeat ${r.lastSeenAt})${consumer}; rollouts no longer count it. If its agent heart-beats again it reappears\n`;
}

const pairs = (record: Record<string, string>, sep: string): string =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}${sep}${v}`)
    .join(', ');

/** Nodes as a table; a lost node says so in its STATUS (it will not be counted healthy). */
export function formatNodes(items: NodeView[], now: number): string {
  return renderTable(
    [
      { header: 'NODE', value: (n) => n.id },
      { header: 'HOSTNAME', value: (n) => n.hostname },
      { header: 'STATUS', value: (n) => (n.lost ? 'LOST' : 'alive') },
      { header: 'STATE', value: (n) => n.state },
      { header: 'COMPONENTS', value: (n) => pairs(n.components, ' ') },
      { header: 'LABELS', value: (n) => pairs(n.labels, '=') },
      { header: 'AGENT', value: (n) => n.agentVersion },
      { header: 'SEEN', value: (n) => formatAgo(n.seenAt, now) },
    ],
    items,
    'no nodes have registered; start an agent (npm run start:installer) with the same NATS_URL and NATS_NAMESPACE',
  );
}
