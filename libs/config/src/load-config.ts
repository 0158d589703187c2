import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { issueMessages } from '@lockstep/contracts';
import { WELL_KNOWN_S3_CREDENTIALS } from './default-credentials';

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
 * the expected form, a variable set both ways, or a file that cannot be read.
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
    const refused = defaultCredentialProblems(parsed.data);
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

/** Builders for common value shapes, each with a message that says what is expected. */
export const env = {
  url: (protocols: string[], dflt?: string) => {
    const s = z.string().refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol.replace(':', ''));
        } catch {
          return false;
        }
      },
      { message: `expected a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}` },
    );
    return dflt === undefined ? s : s.default(dflt);
  },
  urlList: (protocols: string[], dflt: string) =>
    z
      .string()
      .default(dflt)
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .refine(
        (list) =>
          list.length > 0 &&
          list.every((v) => {
            try {
              return protocols.includes(new URL(v).protocol.replace(':', ''));
            } catch {
              return false;
            }
          }),
        {
          message: `expected a comma-separated list of ${protocols.map((p) => `${p}://`).join(' or ')} URLs`,
        },
      ),
  port: (dflt: number) =>
    z.coerce
      .number({ message: 'expected a TCP port number 0-65535' })
      .int()
      .min(0, { message: 'expected a TCP port number 0-65535' })
      .max(65535, { message: 'expected a TCP port number 0-65535' })
      .default(dflt),
  int: (dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ message: `expected a whole number ${min}-${max}` })
      .int({ message: `expected a whole number ${min}-${max}` })
      .min(min, { message: `expected a whole number ${min}-${max}` })
      .max(max, { message: `expected a whole number ${min}-${max}` })
      .default(dflt),
  bool: (dflt: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
      .default(dflt ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  oneOf: <T extends readonly [string, ...string[]]>(values: T, dflt: T[number]) =>
    z.enum(values, { message: `expected one of ${values.join(', ')}` }).default(dflt as never),
  /** Durations like 500ms, 5s, 2m, 1h; parsed to milliseconds. */
  duration: (dflt: string) =>
    z
      .string()
      .default(dflt)
      .transform((v, ctx) => {
        const ms = parseDuration(v);
        if (ms === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 5s, 2m or 1h' });
          return z.NEVER;
        }
        return ms;
      }),
  /** Comma-separated list of durations, e.g. "1s,5s,30s". */
  durationList: (dflt: string) =>
    z
      .string()
      .default(dflt)
      .transform((v, ctx) => {
        const list = v.split(',').map((s) => parseDuration(s.trim()));
        if (list.length === 0 || list.some((x) => x === undefined)) {
          ctx.addIssue({ code: 'custom', message: 'expected a comma-separated list of durations like 1s,5s,30s,2m' });
          return z.NEVER;
        }
        return list as number[];
      }),
  string: (dflt?: string) =>
    dflt === undefined ? z.string().min(1, { message: 'expected a non-empty string' }) : z.string().default(dflt),
  optionalString: () => z.string().optional(),
  list: (dflt: string) =>
    z
      .string()
      .default(dflt)
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
};

/** Parses 500ms / 5s / 2m / 1h / 1d (or a bare number of milliseconds). */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return Math.round(n * mult);
}
