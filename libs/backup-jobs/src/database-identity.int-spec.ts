import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import { readDatabaseIdentity, sameDatabaseServer } from './database-identity';

/** Real PostgreSQL: the server says which database a URL reaches, however the host is spelled. */
describe(sameDatabaseServer.name, () => {
  let db: TestDatabase;
  let other: TestDatabase;
  const spelled = (url: string, host: string) => {
    const u = new URL(url);
    u.hostname = host;
    return u.toString();
  };

  beforeAll(async () => {
    db = await createTestDatabase('identity');
    other = await createTestDatabase('identity_other');
  });
  afterAll(async () => {
    await db?.drop();
    await other?.drop();
  });

  it('finds 127.0.0.1 and localhost to be the same database', async () => {
    const sut = await sameDatabaseServer(spelled(db.url, '127.0.0.1'), spelled(db.url, 'localhost'));

    expect(sut).toBe(true);
  });

  it('tells two databases of one server apart', async () => {
    const sut = await sameDatabaseServer(db.url, other.url);

    expect(sut).toBe(false);
  });

  it('reads the server’s system identifier and the database name', async () => {
    const sut = await readDatabaseIdentity(db.url);

    expect(sut).toEqual({
      systemIdentifier: expect.stringMatching(/^\d+$/),
      database: new URL(db.url).pathname.slice(1),
    });
  });

  it.each([
    ['postgres://postgres@127.0.0.1:1/lockstep', 'postgres://postgres@127.0.0.1:1/lockstep', true],
    ['postgres://postgres@127.0.0.1:1/lockstep', 'postgres://postgres@localhost:1/lockstep', false],
  ])('falls back to the URLs as written when a server cannot be asked: %s and %s: %s', async (a, b, expected) => {
    const sut = await sameDatabaseServer(a, b);

    expect(sut).toBe(expected);
  });
});
