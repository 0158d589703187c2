import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExternalCommandError } from './errors';
import { pgDumpSource } from './postgres-dump';
import { ChildProcessRunner, runToEnd } from './process-runner';
import { FakeProcessRunner } from './process-runner.fakes';

async function drain(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of it) out.push(b);
  return Buffer.concat(out);
}

describe(pgDumpSource.name, () => {
  it('streams pg_dump --format=custom --compress=0 --no-owner output under database/<name>.dump', async () => {
    const runner = new FakeProcessRunner({ pg_dump: { stdout: [Buffer.from('PGDMP'), Buffer.from('rest')] } });
    const sut = pgDumpSource({ url: 'postgres://u@h:5432/shop', runner });

    const bytes = await drain(sut.open());

    expect(bytes.toString()).toBe('PGDMPrest');
    expect(sut).toMatchObject({ path: 'database/shop.dump', database: 'shop', format: 'pg-custom' });
    expect(runner.calls[0]).toMatchObject({
      command: 'pg_dump',
      args: ['--format=custom', '--compress=0', '--no-owner', '--dbname=postgres://u@h:5432/shop'],
    });
  });

  it('hands the password to pg_dump through PGPASSWORD, never on its command line (where ps shows it)', async () => {
    const runner = new FakeProcessRunner();
    const sut = pgDumpSource({ url: 'postgres://u:s%40cr3t@h:5432/shop?sslmode=require&password=s%40cr3t', runner });

    await drain(sut.open());

    expect(runner.calls[0].args.join(' ')).not.toContain('cr3t');
    expect(runner.calls[0].args).toContain('--dbname=postgres://u@h:5432/shop?sslmode=require');
    expect(runner.calls[0].env).toEqual({ PGPASSWORD: 's@cr3t' });
  });

  it('gives a real child process the password in its environment and not in its argv', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgdump-argv-'));
    const script = join(dir, 'fake-pg-dump.sh');
    writeFileSync(script, '#!/bin/sh\necho "argv=$*"\necho "env=$PGPASSWORD"\n', { mode: 0o755 });
    const sut = pgDumpSource({
      url: 'postgres://u:hunter2@h:5432/shop',
      binary: script,
      runner: new ChildProcessRunner(),
    });

    const out = (await drain(sut.open())).toString();

    expect(out).toContain('argv=--format=custom --compress=0 --no-owner --dbname=postgres://u@h:5432/shop\n');
    expect(out).toContain('env=hunter2\n');
  });

  it('throws an error naming pg_dump and its stderr when it exits non-zero', async () => {
    const runner = new FakeProcessRunner({ pg_dump: { exitCode: 1, stderr: 'database "shop" does not exist' } });
    const sut = pgDumpSource({ url: 'postgres://u@h:5432/shop', runner });

    const attempt = drain(sut.open());

    await expect(attempt).rejects.toBeInstanceOf(ExternalCommandError);
    await expect(attempt).rejects.toThrow(
      /^pg_dump failed with exit code 1: database "shop" does not exist\. The backup of database "shop" was not taken/,
    );
  });

  it('kills pg_dump when the backup stops reading early', async () => {
    const runner = new FakeProcessRunner({ pg_dump: { stdout: [Buffer.from('a'), Buffer.from('b')] } });
    const sut = pgDumpSource({ url: 'postgres://u@h/shop', runner });

    for await (const _ of sut.open()) break;

    expect(runner.killed).toBe(1);
  });
});

describe(ChildProcessRunner.name, () => {
  const sut = new ChildProcessRunner();

  it('reports a non-zero exit with the program name and stderr', async () => {
    const attempt = runToEnd(sut, 'sh', ['-c', 'echo boom >&2; exit 3'], { hint: 'Do X.' });

    await expect(attempt).rejects.toThrow('sh failed with exit code 3: boom. Do X.');
  });

  it('reports a missing program', async () => {
    const attempt = runToEnd(sut, 'lockstep-no-such-binary', []);

    await expect(attempt).rejects.toThrow(/^lockstep-no-such-binary could not run: .*ENOENT/);
  });

  it('feeds stdin with the given bytes', async () => {
    const p = sut.start('wc', ['-c'], {
      stdin: (async function* () {
        yield Buffer.alloc(70000);
        yield Buffer.alloc(5);
      })(),
    });
    const out: Buffer[] = [];

    for await (const b of p.stdout) out.push(b as Buffer);
    await p.finished;

    expect(Buffer.concat(out).toString().trim()).toBe('70005');
  });
});
