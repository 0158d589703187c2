import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { systemActor } from '@lockstep/contracts';
import { createDataSource, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';

describe(`${TokensService.name} owner tokens: bootstrap and the last owner (real Postgres)`, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let dir: string;
  let logged: string[];

  const service = (file: string | undefined) => new TokensService(new TokensRepository(ds), file);
  const owners = () => ds.query<Array<{ name: string }>>(`SELECT "name" FROM "api_tokens" WHERE "role" = 'owner'`);

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });
  beforeEach(async () => {
    await ds.query(`DELETE FROM "api_tokens"`);
    dir = await mkdtemp(join(tmpdir(), 'lockstep-bootstrap-'));
    logged = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => void logged.push(String(m)));
    jest.spyOn(Logger.prototype, 'error').mockImplementation((m: unknown) => void logged.push(String(m)));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('makes exactly one owner token when replicas start together, written once to a 0600 file, never logged', async () => {
    const files = [join(dir, 'a'), join(dir, 'b'), join(dir, 'c')];

    await Promise.all(files.map((f) => service(f).bootstrap()));

    const written = files.filter((f) => existsSync(f));
    expect(await owners()).toEqual([{ name: 'bootstrap' }]);
    expect(written).toHaveLength(1);
    expect((await stat(written[0])).mode & 0o777).toBe(0o600);
    const token = (await readFile(written[0], 'utf8')).trim();
    await expect(service(undefined).authenticate(`Bearer ${token}`, null)).resolves.toMatchObject({
      actor: { name: 'bootstrap', role: 'owner' },
    });
    expect(logged.join('\n')).toContain(written[0]);
    expect(logged.join('\n')).not.toContain(token);
  });

  it('does nothing once an owner token exists', async () => {
    await service(join(dir, 'first')).bootstrap();

    await service(join(dir, 'second')).bootstrap();

    expect(await owners()).toHaveLength(1);
    expect(existsSync(join(dir, 'second'))).toBe(false);
  });

  it('never overwrites an existing file, and says how to get a new token', async () => {
    const file = join(dir, 'token');
    await writeFile(file, 'keep me');

    await service(file).bootstrap();

    expect(await owners()).toEqual([]);
    expect(await readFile(file, 'utf8')).toBe('keep me');
    expect(logged.join('\n')).toMatch(/already exists.*move it away and restart/);
  });

  it('warns that every request will be refused when no file is configured', async () => {
    await service(undefined).bootstrap();

    expect(await owners()).toEqual([]);
    expect(logged.join('\n')).toMatch(/set API_BOOTSTRAP_TOKEN_FILE/);
  });

  it('never lets two revokes at once remove the last two owner tokens', async () => {
    const sut = service(undefined);
    const a = await sut.create({ name: 'a', role: 'owner' }, systemActor('test'));
    const b = await sut.create({ name: 'b', role: 'owner' }, systemActor('test'));

    const outcomes = await Promise.allSettled([
      sut.revoke(a.id, systemActor('test')),
      sut.revoke(b.id, systemActor('test')),
    ]);

    const active = await ds.query<unknown[]>(
      `SELECT 1 FROM "api_tokens" WHERE "role" = 'owner' AND "revoked_at" IS NULL`,
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(active).toHaveLength(1);
  });
});
