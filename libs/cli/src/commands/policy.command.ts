import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  diffPolicies,
  effectivePolicy,
  formatIssues,
  formatPolicyFile,
  parsePolicyFile,
  PolicyFieldPath,
  PolicyFileError,
  policyJsonSchema,
  type ComponentPolicyView,
  type PatchPolicyBody,
  type PolicyApplyResult,
  type PolicyFileV1,
  type PolicyView,
  type PutPolicyBody,
} from '@lockstep/contracts';
import type { CliContext } from '../context';
import { CliError, UsageError } from '../errors';
import {
  formatApplyOutcome,
  formatChanges,
  formatComponentPolicy,
  formatPendingChanges,
  formatPolicyGet,
} from './policy-format';

/**
 * `lockstep policy apply|get|set|validate|schema`: the update policy as a file (issue 13). A
 * file is checked on this machine first (every problem with its line), then compared with what
 * is in force and applied in one step, audited; `get` prints what is in force as that file.
 */
export function registerPolicy(program: Command, ctx: CliContext): void {
  const policy = program
    .command('policy')
    .description('update policies: which release classes install on their own, and when (file: lockstep-policy.yaml)');
  policy
    .command('validate')
    .description(
      'check a policy file against the schema (every problem with its line and what is allowed) and print it in its stable form; talks to nothing',
    )
    .requiredOption('-f, --file <path>', 'the policy file (YAML)')
    .option('--component <name>', 'print the policy in force for this component (defaults merged with its overrides)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<{ file: string; component?: string }>(cmd);
      const file = parse(await readPolicyFile(o.file), o.file);
      if (o.component !== undefined) {
        const effective = effectivePolicy(file, o.component);
        ctx.print(
          cmd,
          effective,
          () => `${o.file}: valid; in force for ${o.component}:\n${JSON.stringify(effective, null, 2)}\n`,
        );
        return;
      }
      ctx.print(cmd, file, () => formatPolicyFile(file));
    });
  policy
    .command('apply')
    .description(
      'check a policy file here, show how it differs from the policy in force, and apply it in one step (audited); --dry-run only shows',
    )
    .requiredOption('-f, --file <path>', 'the policy file (YAML), e.g. lockstep-policy.yaml')
    .option('--dry-run', 'show the difference only; apply nothing')
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<{ file: string; dryRun?: boolean }>(cmd);
      const text = await readPolicyFile(o.file);
      const file = parse(text, o.file);
      const api = ctx.api(cmd);
      const inForce = await api.get<PolicyView>('/v1/policy');
      const changes = diffPolicies(inForce.document, file);
      if (!o.json) ctx.deps.io.stdout(formatPendingChanges(o.file, inForce, changes));
      const result: PolicyApplyResult =
        o.dryRun || changes.length === 0
          ? { changes, applied: false, dryRun: Boolean(o.dryRun), policy: inForce }
          : await api.put<PolicyApplyResult>('/v1/policy', {
              yaml: text,
              expectedRevision: inForce.revision,
            } satisfies PutPolicyBody);
      ctx.print(cmd, result, () => formatApplyOutcome(o.file, result));
    });
  policy
    .command('get')
    .description(
      'print the policy in force as a policy file (save it, edit it, apply it with policy apply -f), or what is in force for one component',
    )
    .option('--component <name>', 'print the policy in force for this component (defaults merged with its overrides)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<{ component?: string }>(cmd);
      if (o.component !== undefined) {
        const view = await ctx
          .api(cmd)
          .get<ComponentPolicyView>(`/v1/policy/components/${encodeURIComponent(o.component)}`);
        ctx.print(cmd, view, () => formatComponentPolicy(view));
        return;
      }
      const view = await ctx.api(cmd).get<PolicyView>('/v1/policy');
      ctx.print(cmd, view, () => formatPolicyGet(view));
    });
  policy
    .command('set <path> <value>')
    .description(
      'set one field of the policy in force, e.g. `policy set defaults.classes.patch next-window` or `policy set components.api.minimumReleaseAge 7d` (VALUE is YAML: 3, true, [a, b]; null removes a component override); audited',
    )
    .option('--dry-run', 'show the difference only; apply nothing')
    .action(async (path: string, value: string, _o: unknown, cmd: Command) => {
      const o = ctx.options<{ dryRun?: boolean }>(cmd);
      const body: PatchPolicyBody = { path: fieldPath(path), value: fieldValue(value), dryRun: o.dryRun };
      const result = await ctx.api(cmd).patch<PolicyApplyResult>('/v1/policy', body);
      ctx.print(cmd, result, () => formatChanges(path, result.changes) + formatApplyOutcome(path, result));
    });
  policy
    .command('schema')
    .description('print the JSON Schema policy files are checked against (for editors and CI)')
    .action((_o: unknown, cmd: Command) => {
      const schema = policyJsonSchema();
      ctx.print(cmd, schema, () => `${JSON.stringify(schema, null, 2)}\n`);
    });
}

async function readPolicyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--file ${path}: cannot be read (${(err as Error).message}); give the path of a policy YAML file`,
    );
  }
}

function parse(text: string, path: string): PolicyFileV1 {
  try {
    return parsePolicyFile(text);
  } catch (err) {
    if (err instanceof PolicyFileError)
      throw new CliError(`${path} is not a valid policy file:\n${err.message}`, undefined, err.code);
    throw err;
  }
}

function fieldPath(path: string): string {
  const parsed = PolicyFieldPath.safeParse(path);
  if (!parsed.success) throw new UsageError(`PATH ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** VALUE as YAML: `7d` and `next-window` stay strings, `3` is a number, `true` a boolean, `[a, b]` a list. */
function fieldValue(text: string): PatchPolicyBody['value'] {
  try {
    return parseYaml(text) as PatchPolicyBody['value'];
  } catch (err) {
    throw new UsageError(
      `VALUE ${JSON.stringify(text)} is not a YAML value (${(err as Error).message.split('\n')[0]}); quote it, e.g. '[security, hotfix]'`,
    );
  }
}
