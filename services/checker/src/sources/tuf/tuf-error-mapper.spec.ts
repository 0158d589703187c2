import { LengthOrHashMismatchError, UnsignedMetadataError } from '@tufjs/models/dist/error';
import {
  BadVersionError,
  DownloadLengthMismatchError,
  EqualVersionError,
  ExpiredMetadataError,
  RuntimeError,
} from 'tuf-js/dist/error';
import { SourceCheckError, SourceErrorCode } from '../release-source';
import { toSourceCheckError, type TufPhase } from './tuf-error-mapper';
import { FetchFailureKind, TufFetchError } from '@lockstep/releases';

/** tuf-js 5.0 wraps snapshot/targets failures like this, keeping only the message. */
const wrapped = (what: 'snapshot metadata' | 'targets', inner: Error): Error =>
  new RuntimeError(`Unable to load ${what} error ${inner}`);

describe(toSourceCheckError.name, () => {
  const ctx = { component: 'api', location: 's3://b/components/api/tuf/' };

  it.each<[string, unknown, TufPhase, SourceErrorCode]>([
    [
      'expired timestamp',
      new ExpiredMetadataError('Final timestamp.json is expired'),
      'metadata',
      SourceErrorCode.MetadataExpired,
    ],
    [
      'expired snapshot (wrapped)',
      wrapped('snapshot metadata', new ExpiredMetadataError('snapshot.json is expired')),
      'metadata',
      SourceErrorCode.MetadataExpired,
    ],
    [
      'expired targets (wrapped)',
      wrapped('targets', new ExpiredMetadataError('targets.json is expired')),
      'metadata',
      SourceErrorCode.MetadataExpired,
    ],
    [
      'older timestamp',
      new BadVersionError('New timestamp version 1 is less than current version 2'),
      'metadata',
      SourceErrorCode.MetadataRollback,
    ],
    [
      'equal version',
      new EqualVersionError('New timestamp version 2 is equal to current version 2'),
      'metadata',
      SourceErrorCode.MetadataRollback,
    ],
    [
      'older snapshot (wrapped)',
      wrapped('snapshot metadata', new BadVersionError('New version 1 of targets.json is less than current version 2')),
      'metadata',
      SourceErrorCode.MetadataRollback,
    ],
    [
      'snapshot/timestamp mismatch (wrapped)',
      wrapped('snapshot metadata', new BadVersionError("Snapshot version doesn't match timestamp")),
      'metadata',
      SourceErrorCode.MetadataRollback,
    ],
    [
      'unsigned timestamp',
      new UnsignedMetadataError('timestamp was signed by 0/1 keys'),
      'metadata',
      SourceErrorCode.BadSignature,
    ],
    [
      'unsigned targets (wrapped)',
      wrapped('targets', new UnsignedMetadataError('targets was signed by 0/1 keys')),
      'metadata',
      SourceErrorCode.BadSignature,
    ],
    [
      'artifact hash',
      new LengthOrHashMismatchError('Expected hash a but got b'),
      'target',
      SourceErrorCode.TargetMismatch,
    ],
    [
      'artifact too long',
      new DownloadLengthMismatchError('Max length reached'),
      'target',
      SourceErrorCode.TargetMismatch,
    ],
    [
      'metadata hash (wrapped)',
      wrapped('targets', new LengthOrHashMismatchError('Expected hash a but got b')),
      'metadata',
      SourceErrorCode.BadData,
    ],
    ['garbage JSON', new SyntaxError('Unexpected token'), 'metadata', SourceErrorCode.BadData],
    [
      'connection refused',
      new TufFetchError(
        FetchFailureKind.Unreachable,
        'http://x/timestamp.json',
        'cannot fetch http://x/timestamp.json: ECONNREFUSED',
      ),
      'metadata',
      SourceErrorCode.Unreachable,
    ],
    [
      'timeout',
      new TufFetchError(FetchFailureKind.Timeout, 'http://x/timestamp.json', 'no complete answer'),
      'metadata',
      SourceErrorCode.Timeout,
    ],
    [
      'missing timestamp',
      new TufFetchError(FetchFailureKind.NotFound, 'http://x/timestamp.json', 'answered HTTP 404', 404),
      'metadata',
      SourceErrorCode.Misconfigured,
    ],
    [
      'missing artifact',
      new TufFetchError(FetchFailureKind.NotFound, 'http://x/a.tar.gz', 'answered HTTP 404', 404),
      'target',
      SourceErrorCode.BadData,
    ],
    [
      'forbidden',
      new TufFetchError(FetchFailureKind.HttpStatus, 'http://x/timestamp.json', 'answered HTTP 401', 401),
      'metadata',
      SourceErrorCode.Misconfigured,
    ],
  ])('maps %s', (_what, err, phase, code) => {
    const sut = toSourceCheckError(err, phase, ctx);

    expect(sut).toBeInstanceOf(SourceCheckError);
    expect(sut.code).toBe(code);
    expect(sut.cause).toBe(err);
  });

  it('finds the fetch failure behind a wrapped error by its message', () => {
    const failure = new TufFetchError(
      FetchFailureKind.Timeout,
      'http://x/3.snapshot.json',
      'no complete answer from http://x/3.snapshot.json within 10 ms',
    );

    const sut = toSourceCheckError(wrapped('snapshot metadata', failure), 'metadata', { ...ctx, lastFailure: failure });

    expect(sut.code).toBe(SourceErrorCode.Timeout);
  });
});
