import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { Channels, type ComponentFleet, type ComponentView, type ListOf } from '@lockstep/contracts';
import { DEFAULT_SCHEME_ID, schemeIds } from '@lockstep/versioning';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatTime, renderFields, renderTable, truncate } from '../output';
import { buildSourceConfig, checkTrustedRoot, type SourceFlags } from './component-source';
import { checkComponentName, checkVersion, parseRequiresOption } from './release-options';

interface AddOptions extends Omit<SourceFlags, 'trustedRoot'> {
  channel: string;
  scheme: string;
  current?: string;
  trustedRoot?: string;
  requires?: string;
}

/** `lockstep components [list]`, `lockstep components show NAME`, `lockstep components add`. */
export function registerComponents(program: Command, ctx: CliContext): void {
  const components = program.command('components').description('components Lockstep keeps up to date');
  components
    .command('list', { isDefault: true })
    .description(
      'list components with their source, the version each counts as running, what its nodes run, and the last check',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.api(cmd).get<ListOf<ComponentView>>('/v1/components');
      ctx.print(cmd, items, () => formatComponents(items));
    });

  components
    .command('show <name>')
    .description('one component: its source, the version it counts as running, and how many nodes run each version')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      checkComponentName(name);
      const c = await ctx.api(cmd).get<ComponentView>(`/v1/components/${encodeURIComponent(name)}`);
      ctx.print(cmd, c, () => `${c.name}\n${formatComponent(c)}`);
    });

  components
    .command('add <name>')
    .description('register a component (or update it) with its release source')
    .addOption(new Option('--source <type>', 'release source').choices(['tuf', 'npm']).makeOptionMandatory())
    .addOption(new Option('--channel <channel>', 'releases offered').choices([...Channels]).default('stable'))
    .addOption(new Option('--scheme <scheme>', 'version scheme').choices(schemeIds()).default(DEFAULT_SCHEME_ID))
    .option('--current <version>', 'version the component runs now')
    .option('--trusted-root <file>', 'tuf: root.json to pin (from `lockstep release root`); - reads stdin')
    .addOption(
      new Option('--mode <mode>', 'tuf: read the repository from the bucket or over HTTP').choices(['s3', 'http']),
    )
    .option('--metadata-url <url>', 'tuf --mode http: base URL of the metadata')
    .option('--targets-url <url>', 'tuf --mode http: base URL of the artifacts')
    .option('--package <name>', 'npm: package name')
    .option('--registry <url>', 'npm: registry URL (default https://registry.npmjs.org)')
    .option(
      '--requires <list>',
      'what it needs of other registered components, e.g. "config>=2.0.0,app^1.4" ("" for nothing; absent keeps what it has)',
    )
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const o = ctx.options<AddOptions>(cmd);
      checkComponentName(name);
      if (o.current !== undefined) checkVersion(o.current, o.scheme);
      const requires = o.requires === undefined ? undefined : parseRequiresOption(o.requires);
      const trustedRoot =
        o.trustedRoot === undefined ? undefined : checkTrustedRoot(await readRootFile(o.trustedRoot), o.trustedRoot);
      const sourceConfig = buildSourceConfig({ ...o, trustedRoot });
      const saved = await ctx.api(cmd).put<ComponentView>(`/v1/components/${encodeURIComponent(name)}`, {
        scheme: o.scheme,
        channel: o.channel,
        // absent: the control plane keeps the version it knows runs
        ...(o.current !== undefined ? { currentVersion: o.current } : {}),
        sourceType: o.source,
        sourceConfig,
        ...(requires ? { requires } : {}),
      });
      ctx.print(cmd, saved, () => `registered ${saved.name}\n${formatComponent(saved)}`);
    });
}

async function readRootFile(file: string): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--trusted-root ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Where the component's releases come from, in a few words. */
export function describeSource(c: Pick<ComponentView, 'sourceType' | 'source'>): string {
  const s = c.source;
  if (c.sourceType === 'tuf') {
    const where = s.mode === 'http' ? String(s.metadataUrl) : 'bucket';
    const root = typeof s.trustedRootSha256 === 'string' ? ` root ${s.trustedRootSha256.slice(0, 12)}` : '';
    return `tuf (${where})${root}`;
  }
  if (c.sourceType === 'npm')
    return `npm ${String(s.package)}${typeof s.registry === 'string' ? ` @ ${s.registry}` : ''}`;
  return c.sourceType;
}

/** Components as a table with source, versions and the last check's outcome. */
export function formatComponents(items: ComponentView[]): string {
  return renderTable(
    [
      { header: 'NAME', value: (c) => c.name },
      { header: 'SOURCE', value: describeSource },
      { header: 'CHANNEL', value: (c) => c.channel },
      { header: 'SCHEME', value: (c) => c.scheme },
      { header: 'CURRENT', value: (c) => c.currentVersion },
      { header: 'NODES RUN', value: (c) => formatFleet(c.fleet) },
      { header: 'LAST CHECK', value: (c) => formatTime(c.lastCheckedAt) },
      {
        header: 'STATUS',
        value: (c) =>
          c.lastError
            ? truncate(`${c.lastError.code}: ${c.lastError.message}`, 80)
            : c.lastCheckedAt
              ? 'ok'
              : 'not checked yet',
      },
    ],
    items,
    'no components; register one with `lockstep components add NAME --source tuf|npm ...`',
  );
}

function formatComponent(c: ComponentView): string {
  return renderFields([
    ['source', describeSource(c)],
    ['channel', c.channel],
    ['scheme', c.scheme],
    ['current', c.currentVersion],
    ['nodes run', formatFleet(c.fleet)],
    ['requires', formatRequires(c.requires)],
    ...(typeof c.source.trustedRootSha256 === 'string'
      ? [['root sha256', c.source.trustedRootSha256] as [string, string]]
      : []),
  ]);
}

/**
 * What a component's nodes run, e.g. `1.2.0 ×2, 1.1.0 ×1, 1 lost` (live nodes per version,
 * newest first; per node: `lockstep nodes`). An API older than the fleet summary sends none.
 */
export function formatFleet(fleet: ComponentFleet | null | undefined): string {
  if (!fleet) return 'unknown (nodes unreadable)';
  const parts = fleet.versions.map((v) => `${v.version} ×${v.nodes}`);
  if (fleet.lost) parts.push(`${fleet.lost} lost`);
  return parts.length ? parts.join(', ') : 'no node reports it';
}

/** What a component needs of others, e.g. `config >=2.0.0, app ^1.4`; `nothing` for none. */
export function formatRequires(requires: ComponentView['requires'] | undefined): string {
  const items = Object.entries(requires ?? {}).map(([name, range]) => `${name} ${range}`);
  return items.length ? items.join(', ') : 'nothing';
}
