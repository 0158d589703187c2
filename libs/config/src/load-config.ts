import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { issueMessages } from '@lockstep/contracts';
import { WELL_KNOWN_S3_CREDENTIALS } from './default-credentials';
import { natsSettingsProblems } from './nats-settings';

/** A configuration value was missing or malformed; the message names each variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(
      `invalid configuration for ${service}:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix the variables above (environment or .env) and start again.`,
    );
  }
}

const describeExpected = (issue: z.core.$ZodIssue): string => {
  const hint = (issue as { params?: { hint?: string } }).params?.hint;
  if (hint) return hint;
  return issue.message;
};

/** Suffix of a variable that names a file holding the value of another (Docker and Kubernetes secrets). */
export const FILE_SUFFIX = '_FILE';

/**
 * Parses the environment with a service's schema. Keys of the schema are environment
 * variable names; each may also be given as `<NAME>_FILE`, the path of a file holding the
 * value (one trailing newline trimmed). Throws ConfigError naming every bad variable with
 * the expected form, a variable set both ways, a file that cannot be read, or NATS settings
 * that do not fit together (natsSettingsProblems).
 */
export function loadConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  const fileProblems: string[] = [];
  for (const key of Object.keys(schema.shape)) {
    const v = readVariable(env, key);
    if (v.problem) fileProblems.push(v.problem);
    else if (v.value !== undefined && v.value !== '') input[key] = v.value;
  }
  if (fileProblems.length) throw new ConfigError(service, fileProblems);
  const parsed = schema.safeParse(input);
  if (parsed.success) {
    const refused = [...defaultCredentialProblems(parsed.data), ...natsSettingsProblems(parsed.data)];
    if (refused.length) throw new ConfigError(service, refused);
    return parsed.data;
  }
  const problems = issueMessages(parsed.error, {
    expected: (issue, key) => {
      const got = input[String(issue.path[0])];
      return `${describeExpected(issue)}${got === undefined ? ' (not set)' : ` (got ${JSON.stringify(redact(key, got))})`}`;
    },
  });
  throw new ConfigError(service, problems);
}

/** Refuses a well-known default S3 key pair unless LOCKSTEP_ALLOW_DEFAULT_CREDENTIALS is true. */
function defaultCredentialProblems(config: Record<string, unknown>): string[] {
  if (config.LOCKSTEP_ALLOW_DEFAULT_CREDENTIALS === true) return [];
  const known = WELL_KNOWN_S3_CREDENTIALS.some(
    (c) => c.accessKey === config.S3_ACCESS_KEY && c.secretKey === config.S3_SECRET_KEY,
  );
  if (!known) return [];
  return [
    'S3_ACCESS_KEY, S3_SECRET_KEY: these are well-known default credentials that anyone can try; create a user with its own keys on the object store and set them (or S3_ACCESS_KEY_FILE, S3_SECRET_KEY_FILE). For a local demo only, set LOCKSTEP_ALLOW_DEFAULT_CREDENTIALS=true.',
  ];
}

/**
 * The value of one variable, from the environment or from the file `<NAME>_FILE` names. Exported
 * for settings read outside a schema (the agent's, the CLI's) so they follow the same convention.
 */
export function readVariable(
  env: NodeJS.ProcessEnv,
  key: string,
): { value: string | undefined; problem?: undefined } | { value?: undefined; problem: string } {
  const fileKey = `${key}${FILE_SUFFIX}`;
  const path = env[fileKey];
  if (path === undefined || path === '') return { value: env[key] };
  if (env[key] !== undefined && env[key] !== '')
    return { problem: `${key} and ${fileKey} are both set; set only one (${fileKey} names a file holding the value)` };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { problem: `${fileKey}: cannot read ${path} (${reason}); point it at a readable file holding ${key}` };
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') return { problem: `${fileKey}: ${path} is empty; write the value of ${key} into it` };
  return { value };
}

/** A bad value as echoed in a ConfigError: whole when its name says secret, else with every URL and libpq password masked. */
const redact = (key: string, value: string): string =>
  /SECRET|PASSW|TOKEN|KEY|CREDENTIAL/i.test(key)
    ? '***'
    : value.replace(/\/\/([^:/@,\s]*):[^@/,\s]+@/g, '//$1:***@').replace(/(password\s*=\s*)[^\s&;]+/gi, '$1***');
