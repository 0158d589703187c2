import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  effectivePolicy,
  formatPolicyFile,
  parsePolicyFile,
  PolicyFileError,
  policyJsonSchema,
  type PolicyFileV1,
} from '@lockstep/contracts';
import type { CliContext } from '../context';
import { CliError, UsageError } from '../errors';

/**
 * `lockstep policy validate` and `lockstep policy schema`: the update-policy file checked on this
 * machine, before anything is applied (issue 13; `policy apply` and `policy get` come with the
 * scheduler's policy store).
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
