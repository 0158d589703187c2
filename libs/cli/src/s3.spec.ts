import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors';
import { resolveS3Settings } from './s3';

describe(resolveS3Settings.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-s3-'));
  const secretFile = join(dir, 's3-secret');
  writeFileSync(secretFile, 'from-the-file\n');

  it('reads S3_SECRET_KEY_FILE like the services do', () => {
    const sut = resolveS3Settings({}, { S3_ACCESS_KEY: 'ak', S3_SECRET_KEY_FILE: secretFile });

    expect(sut).toMatchObject({ accessKey: 'ak', secretKey: 'from-the-file' });
  });

  it('lets a flag win over the file', () => {
    const sut = resolveS3Settings({ s3SecretKey: 'from-the-flag' }, { S3_SECRET_KEY_FILE: secretFile });

    expect(sut.secretKey).toBe('from-the-flag');
  });

  it('refuses minioadmin/minioadmin with a usage error that says what to do', () => {
    const act = () => resolveS3Settings({ s3AccessKey: 'minioadmin', s3SecretKey: 'minioadmin' }, {});

    expect(act).toThrow(UsageError);
    expect(act).toThrow(/well-known default credentials.*LOCKSTEP_ALLOW_DEFAULT_CREDENTIALS=true/);
  });
});
