import { CodedError } from '@lockstep/contracts';
import { npmSource } from './npm';
import type { ReleaseSourcePlugin } from './release-source';
import { tufSource } from './tuf';

/**
 * Every release source plugin by id; each lives in `sources/<id>/index.ts` and a spec checks
 * this map and the folders agree. Adding a source: a folder and a line here.
 */
export const ReleaseSources: Record<string, ReleaseSourcePlugin<never>> = {
  tuf: tufSource as unknown as ReleaseSourcePlugin<never>,
  npm: npmSource as unknown as ReleaseSourcePlugin<never>,
};

/** The source plugin with this id. @throws UnknownSourceError */
export function getSource(id: string): ReleaseSourcePlugin<unknown> {
  const s = Object.hasOwn(ReleaseSources, id) ? ReleaseSources[id] : undefined;
  if (!s) throw new UnknownSourceError(id);
  return s;
}

/** Error codes of the source registry. */
export const SourceRegistryErrorCode = { UnknownSource: 'UNKNOWN_SOURCE' } as const;
export type SourceRegistryErrorCode = (typeof SourceRegistryErrorCode)[keyof typeof SourceRegistryErrorCode];

/** The component names a source plugin that does not exist. */
export class UnknownSourceError extends CodedError<typeof SourceRegistryErrorCode.UnknownSource> {
  override name = 'UnknownSourceError';
  constructor(readonly id: string) {
    super(
      SourceRegistryErrorCode.UnknownSource,
      `unknown release source "${id}"; use one of ${Object.keys(ReleaseSources).join(', ')}`,
    );
  }
}
