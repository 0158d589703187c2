import { UsageError } from '../errors';

/** Source flags of `components add`. */
export interface SourceFlags {
  source: 'tuf' | 'npm';
  mode?: 's3' | 'http';
  /** Text of the pinned root.json (already read from --trusted-root). */
  trustedRoot?: string;
  metadataUrl?: string;
  targetsUrl?: string;
  package?: string;
  registry?: string;
}

const TUF_ONLY = ['mode', 'trustedRoot', 'metadataUrl', 'targetsUrl'] as const;
const NPM_ONLY = ['package', 'registry'] as const;
const FLAG: Record<string, string> = {
  mode: '--mode',
  trustedRoot: '--trusted-root',
  metadataUrl: '--metadata-url',
  targetsUrl: '--targets-url',
  package: '--package',
  registry: '--registry',
};

function httpUrl(value: string, flag: string): string {
  try {
    const u = new URL(value);
    if (u.protocol === 'http:' || u.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  throw new UsageError(`${flag} "${value}" is not an http(s) URL`);
}

/** Throws unless the text is a TUF root.json (what `lockstep release root` prints). */
export function checkTrustedRoot(text: string, file: string): string {
  let type: unknown;
  try {
    type = (JSON.parse(text) as { signed?: { _type?: unknown } }).signed?._type;
  } catch {
    type = undefined;
  }
  if (type !== 'root')
    throw new UsageError(
      `${file} is not a TUF root.json; save the output of \`lockstep release root --component NAME\` and pass that file`,
    );
  return text;
}

/**
 * The checker's `sourceConfig` for the flags, refusing flags of the other source and missing
 * required ones, so a mistake is caught before anything is sent.
 */
export function buildSourceConfig(f: SourceFlags): Record<string, unknown> {
  const foreign = (f.source === 'tuf' ? NPM_ONLY : TUF_ONLY).filter((k) => f[k] !== undefined);
  if (foreign.length)
    throw new UsageError(
      `${foreign.map((k) => FLAG[k]).join(', ')} ${foreign.length > 1 ? 'apply' : 'applies'} to --source ${f.source === 'tuf' ? 'npm' : 'tuf'} only`,
    );
  if (f.source === 'npm') {
    if (!f.package) throw new UsageError('--source npm needs --package NAME (e.g. my-app or @acme/my-app)');
    return { package: f.package, ...(f.registry ? { registry: httpUrl(f.registry, '--registry') } : {}) };
  }
  if (!f.trustedRoot)
    throw new UsageError(
      '--source tuf needs --trusted-root FILE: the root.json that `lockstep release root --component NAME` prints',
    );
  const mode = f.mode ?? 's3';
  if (mode === 's3') {
    if (f.metadataUrl || f.targetsUrl)
      throw new UsageError('--metadata-url and --targets-url apply to --mode http only');
    return { mode, trustedRoot: f.trustedRoot };
  }
  if (!f.metadataUrl || !f.targetsUrl)
    throw new UsageError('--mode http needs --metadata-url URL and --targets-url URL');
  return {
    mode,
    trustedRoot: f.trustedRoot,
    metadataUrl: httpUrl(f.metadataUrl, '--metadata-url'),
    targetsUrl: httpUrl(f.targetsUrl, '--targets-url'),
  };
}
