import type { Command } from 'commander';
import { commonSchema } from '@lockstep/config';
import { NodeId } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { renderFields, renderTable } from '../output';
import { NatsConfigFiles, writeNatsConfig, type NatsConfigResult } from './nats-config-files';

/** `lockstep nats config`: the NKey users and least-privilege permissions of a deployment, for nats-server. */
export function registerNats(program: Command, ctx: CliContext): void {
  const nats = program.command('nats').description('NATS server configuration (works locally, talks to nothing)');
  nats
    .command('config')
    .description(
      `write DIR/${NatsConfigFiles.auth} (NKey users of every service, one agent per node and optionally an admin, each with only the subjects it needs), an example DIR/${NatsConfigFiles.server} that includes it, and one seed file per identity (DIR/<identity>.nk, mode 0600). Run it again to add nodes: existing seeds are kept, so every identity keeps its key`,
    )
    .option(
      '--namespace <name>',
      'NATS namespace of the deployment (or NATS_NAMESPACE)',
      ctx.env.NATS_NAMESPACE ?? 'lockstep',
    )
    .option('--nodes <ids>', 'comma-separated node ids, e.g. web-1,web-2 (nodes whose seed is in DIR stay)')
    .requiredOption('--out <dir>', 'directory for the config and the seed files')
    .option('--admin', 'also an admin user with every right in the namespace (operators, test harnesses)')
    .action(async (_args: unknown, cmd: Command) => {
      const o = ctx.options<{ namespace: string; nodes?: string; out: string; admin?: boolean }>(cmd);
      const namespace = commonSchema.NATS_NAMESPACE.safeParse(o.namespace);
      if (!namespace.success)
        throw new UsageError(
          `--namespace ${JSON.stringify(o.namespace)}: ${namespace.error.issues[0].message}; give the NATS_NAMESPACE the services run with`,
        );
      const nodes = parseNodes(o.nodes ?? '');
      const result = await writeNatsConfig(o.out, { namespace: namespace.data, nodes, admin: o.admin ?? false });
      ctx.print(cmd, result, () => describeResult(result));
    });
}

function parseNodes(list: string): string[] {
  const nodes = list
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const node of nodes) {
    const parsed = NodeId.safeParse(node);
    if (!parsed.success)
      throw new UsageError(
        `--nodes: ${JSON.stringify(node)} is not a node id (${parsed.error.issues[0].message}); give the NODE_ID each agent runs with`,
      );
  }
  return [...new Set(nodes)];
}

function describeResult(r: NatsConfigResult): string {
  const created = r.identities.filter((i) => i.created).length;
  return (
    renderFields([
      ['namespace', r.namespace],
      ['users and permissions', r.authFile],
      ['server config', `${r.serverConfigFile}${r.serverConfigWritten ? '' : ' (existed, left as it was)'}`],
      ['new keys', created],
      ['kept keys', r.identities.length - created],
    ]) +
    renderTable(
      [
        { header: 'IDENTITY', value: (i) => i.name },
        { header: 'PUBLIC KEY', value: (i) => i.publicKey },
        { header: 'SEED FILE', value: (i) => `${i.seedFile}${i.created ? ' (new)' : ''}` },
      ],
      r.identities,
      'no identities',
    ) +
    (r.keptNodes.length
      ? `Nodes kept because their seed file is in the directory: ${r.keptNodes.join(', ')} (delete agent-<id>.nk and run again to remove one).\n`
      : '') +
    'Give each process its own seed file (it authenticates with the NKey and uses inbox prefix _INBOX_<public key>);\n' +
    'a seed is a secret: copy it to that host only.\n' +
    'Apply the new users to a running server: nats-server --signal reload (or kill -HUP <pid>).\n'
  );
}
