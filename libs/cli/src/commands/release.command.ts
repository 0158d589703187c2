import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { ApiErrorCode, Channels, type CheckResults, type CheckResultV1 } from '@lockstep/contracts';
import {
  expiryPolicyFor,
  readKeyFile,
  trustedRootFor,
  TufRepositoryWriter,
  type PublishReleaseResult,
} from '@lockstep/releases';
import { DEFAULT_SCHEME_ID, schemeIds } from '@lockstep/versioning';
import { ApiRequestError } from '../api-client';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { defaultKeyFile, keysPassphrase } from '../keys-location';
import { renderFields } from '../output';
import { openStore, type S3Options } from '../s3';
import { checkArtifact, checkComponentName, checkVersion, parseRequiresOption } from './release-options';

interface PublishOptions extends S3Options {
  component: string;
  version: string;
  channel: string;
  security?: boolean;
  breaking?: boolean;
  hotfix?: boolean;
  notes?: string;
  requires?: string;
  keys: string;
  scheme: string;
  check: boolean;
}

/** How long publish waits for the check it asks for. */
const CHECK_TIMEOUT_MS = 120_000;

/** `lockstep release publish|root`: run locally against the bucket, with keys from this machine. */
export function registerRelease(program: Command, ctx: CliContext): void {
  const release = program
    .command('release')
    .description('publish signed releases straight to the bucket (keys stay local)')
    .option('--s3-endpoint <url>', 'S3 endpoint (or S3_ENDPOINT)')
    .option('--s3-access-key <key>', 'S3 access key (or S3_ACCESS_KEY)')
    .option('--s3-secret-key <key>', 'S3 secret key (prefer S3_SECRET_KEY: flags show up in ps)')
    .option('--bucket <name>', 'bucket (or S3_BUCKET)');

  release
    .command('publish <artifact>')
    .description(
      "sign and publish a release .tar.gz (at most 16 MiB) into the component's TUF repository, then ask the API to check",
    )
    .requiredOption('--component <name>', 'component name')
    .requiredOption('--version <version>', 'release version, valid in --scheme')
    .addOption(new Option('--channel <channel>', 'release channel').choices([...Channels]).makeOptionMandatory())
    .option('--security', 'the release fixes a security issue')
    .option('--breaking', 'the release breaks compatibility')
    .option('--hotfix', 'the release is a hotfix')
    .option('--notes <file>', 'release notes (markdown file)')
    .option(
      '--requires <list>',
      'what the release needs of other components, signed into its metadata, e.g. "config>=2.0.0,app^1.4"',
    )
    .option('--keys <file>', 'key file from `lockstep keys init` (or LOCKSTEP_KEYS_FILE)', defaultKeyFile(ctx.env))
    .addOption(
      new Option('--scheme <scheme>', 'version scheme of the component')
        .choices(schemeIds())
        .default(DEFAULT_SCHEME_ID),
    )
    .option('--no-check', 'do not ask the API to check the component afterwards')
    .action(async (artifact: string, _o: unknown, cmd: Command) => {
      const o = ctx.options<PublishOptions>(cmd);
      const component = checkComponentName(o.component);
      const version = checkVersion(o.version, o.scheme);
      await checkArtifact(artifact);
      const notes = o.notes ? await readNotes(o.notes) : '';
      const requires = o.requires === undefined ? undefined : parseRequiresOption(o.requires);
      const keys = await readKeyFile(o.keys, keysPassphrase(ctx.env));
      const store = await openStore(ctx.deps, o, true);
      const result = await new TufRepositoryWriter().publish({
        store,
        component,
        artifact,
        version,
        channel: o.channel,
        security: !!o.security,
        breaking: !!o.breaking,
        hotfix: !!o.hotfix,
        notes,
        requires,
        keys,
        // a day's timestamp only when a checker holding the online keys re-signs it (its mark in the bucket)
        expiresInMs: await expiryPolicyFor(store, component, new Date()),
      });
      const check = o.check ? await askForCheck(ctx, cmd, component) : undefined;
      ctx.print(
        cmd,
        { component, version, channel: o.channel, bucket: store.bucket, ...result, check: check ?? null },
        () => describePublish(component, version, store.bucket, result, check),
      );
    });

  release
    .command('refresh')
    .description(
      "re-sign a component's metadata by hand with the key file: targets, snapshot and timestamp get fresh expiry dates (root too when it expires within 30 days); adds nothing",
    )
    .requiredOption('--component <name>', 'component name')
    .option('--keys <file>', 'key file from `lockstep keys init` (or LOCKSTEP_KEYS_FILE)', defaultKeyFile(ctx.env))
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<S3Options & { component: string; keys: string }>(cmd);
      const component = checkComponentName(o.component);
      const keys = await readKeyFile(o.keys, keysPassphrase(ctx.env));
      const store = await openStore(ctx.deps, o);
      const writer = new TufRepositoryWriter();
      const expiresInMs = await expiryPolicyFor(store, component, new Date());
      const versions = await writer.refresh({ store, component, keys, expiresInMs });
      const expiry = await writer.expiry(store, component);
      const expires = Object.fromEntries(
        Object.entries(expiry).map(([role, e]) => [role, e.expires.toISOString()]),
      ) as Record<keyof typeof expiry, string>;
      ctx.print(
        cmd,
        { component, bucket: store.bucket, versions, expires },
        () =>
          `re-signed ${component}\n${renderFields(
            (Object.keys(expiry) as Array<keyof typeof expiry>).map((role): [string, string] => [
              role,
              `v${expiry[role].version}, expires ${expires[role]}`,
            ]),
          )}`,
      );
    });

  release
    .command('root')
    .description("print the component's current root.json, the file clients and `components add --trusted-root` pin")
    .requiredOption('--component <name>', 'component name')
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<S3Options & { component: string }>(cmd);
      const component = checkComponentName(o.component);
      const store = await openStore(ctx.deps, o);
      const bytes = await trustedRootFor(store, component);
      if (o.json)
        ctx.print(
          cmd,
          {
            component,
            sha256: createHash('sha256').update(bytes).digest('hex'),
            root: JSON.parse(bytes.toString('utf8')) as unknown,
          },
          () => '',
        );
      else
        ctx.deps.io.stdout(
          bytes.toString('utf8').endsWith('\n') ? bytes.toString('utf8') : `${bytes.toString('utf8')}\n`,
        );
    });
}

async function readNotes(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `notes file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
}

/** Asks the API to check now; any problem is a warning, since the release is published either way. */
async function askForCheck(ctx: CliContext, cmd: Command, component: string): Promise<CheckResultV1 | undefined> {
  const later = 'the checker will find the release at its next poll';
  try {
    const { results } = await ctx
      .api(cmd, CHECK_TIMEOUT_MS)
      .post<CheckResults>('/v1/checks', { component }, CHECK_TIMEOUT_MS);
    const result = results[0];
    if (result && !result.ok)
      ctx.warn(
        `published, but the check of ${component} failed: ${result.error?.reason ?? 'no reason given'} (${result.error?.code ?? 'unknown'})`,
      );
    return result;
  } catch (err) {
    if (err instanceof ApiRequestError && err.code === ApiErrorCode.NotFound) {
      ctx.warn(
        `published, but ${component} is not registered yet, so nothing was checked; register it with \`lockstep components add ${component} --source tuf --trusted-root FILE\` (FILE from \`lockstep release root --component ${component}\`)`,
      );
    } else {
      ctx.warn(`published, but the API could not check ${component} now: ${(err as Error).message}; ${later}`);
    }
    return undefined;
  }
}

function describePublish(
  component: string,
  version: string,
  bucket: string,
  r: PublishReleaseResult,
  check: CheckResultV1 | undefined,
): string {
  const head =
    r.outcome === 'published'
      ? `published ${component} ${version}`
      : `${component} ${version} was already published with these bytes; nothing changed`;
  const checked = !check
    ? undefined
    : check.ok
      ? check.announced.length
        ? `announced ${check.announced.join(', ')}`
        : 'nothing new to announce'
      : `failed (${check.error?.code ?? 'unknown'})`;
  return `${head}\n${renderFields([
    ['target', r.targetPath],
    ['object', `s3://${bucket}/${r.artifactKey}`],
    ['sha256', r.sha256],
    ['length', `${r.length} bytes`],
    [
      'metadata',
      `root v${r.versions.root}, targets v${r.versions.targets}, snapshot v${r.versions.snapshot}, timestamp v${r.versions.timestamp}`,
    ],
    ...(checked ? [['check', checked] as [string, string]] : []),
  ])}`;
}
