import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@lockstep/testing';

const script = join(repoRoot(), 'deploy', 'scripts', 'check-compose.sh');
const compose = readFileSync(join(repoRoot(), 'docker-compose.yml'), 'utf8');

function check(text: string): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  const file = join(dir, 'docker-compose.yml');
  writeFileSync(file, text);
  return new Promise((resolve) => {
    execFile('bash', [script, file], (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe('deploy/scripts/check-compose.sh', () => {
  it('passes the docker-compose.yml of the repository', async () => {
    const sut = await check(compose);

    expect(sut).toMatchObject({ code: 0, output: expect.stringContaining('every image pinned') });
  });

  it.each([
    ['a latest tag', compose.replace(/image: nats:\S+/, 'image: nats:latest'), /concrete version tag/],
    ['a floating minor', compose.replace(/image: nats:\S+/, 'image: nats:2.12-alpine'), /nats:2\.12-alpine/],
    [
      'a floating Postgres major',
      compose.replace(/image: postgres:\S+/, 'image: postgres:15-alpine'),
      /postgres:15-alpine/,
    ],
    [
      'a key the Compose Specification does not know',
      compose.replace('    healthcheck:', '    healthchek:'),
      /invalid-schema/,
    ],
  ])('fails a file with %s', async (_what, text, message) => {
    const sut = await check(text);

    expect(sut.code).not.toBe(0);
    expect(sut.output).toMatch(message);
  });
});
