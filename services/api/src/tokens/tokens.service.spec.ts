import { systemActor } from '@lockstep/contracts';
import { InMemoryTokensRepository } from '../testing/in-memory-tokens.repository';
import type { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';

describe(TokensService.name, () => {
  let repo: InMemoryTokensRepository;
  let sut: TokensService;

  beforeEach(() => {
    repo = new InMemoryTokensRepository();
    sut = new TokensService(repo as unknown as TokensRepository);
  });

  it('accepts a token until its lifetime has passed, then refuses it as expired', async () => {
    const { token } = await sut.create({ name: 'ci', role: 'operator', expires: '12h' }, systemActor('test'));

    const before = (await sut.authenticate(`Bearer ${token}`, '10.0.0.1')).actor;
    repo.at = new Date(repo.at.getTime() + 12 * 3_600_000);
    const after = sut.authenticate(`Bearer ${token}`, '10.0.0.1');

    expect(before).toMatchObject({ kind: 'token', name: 'ci', role: 'operator', components: null, source: '10.0.0.1' });
    await expect(after).rejects.toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
  });

  it('records a use at most once a minute, and never while only authenticating', async () => {
    const { token, id } = await sut.create({ name: 'ci', role: 'viewer' }, systemActor('test'));
    const start = repo.now();
    const use = async () => sut.recordUse(await sut.authenticate(`Bearer ${token}`, null));

    await sut.authenticate(`Bearer ${token}`, null);
    const unused = repo.rows.get(id)!.lastUsedAt;
    await use();
    repo.at = new Date(start.getTime() + 59_000);
    await use();
    const within = repo.rows.get(id)!.lastUsedAt;
    repo.at = new Date(start.getTime() + 60_000);
    await use();

    expect(unused).toBeNull();
    expect(within).toEqual(start);
    expect(repo.rows.get(id)!.lastUsedAt).toEqual(repo.at);
  });

  it.each([
    [undefined, 'TOKEN_MISSING'],
    ['Basic abc', 'TOKEN_MISSING'],
    ['Bearer abc', 'TOKEN_INVALID'],
    [`Bearer lst_0123456789abcdef_${'a'.repeat(43)}`, 'TOKEN_INVALID'],
  ])('refuses %j with 401 %s, saying how to send a token', async (header, code) => {
    await expect(sut.authenticate(header, null)).rejects.toMatchObject({
      status: 401,
      code,
      message: expect.stringContaining('Authorization: Bearer'),
    });
  });

  it('refuses to revoke the last owner token for every component, and revokes it once another exists', async () => {
    const first = await sut.create({ name: 'first', role: 'owner' }, systemActor('test'));
    await sut.create({ name: 'narrow', role: 'owner', components: ['demo'] }, systemActor('test'));

    const refused = sut.revoke(first.id, systemActor('test'));
    await expect(refused).rejects.toMatchObject({ status: 409, code: 'LAST_OWNER_TOKEN' });
    await sut.create({ name: 'second', role: 'owner' }, systemActor('test'));
    const revoked = await sut.revoke(first.id, systemActor('test'));

    expect(revoked.revokedAt).not.toBeNull();
  });

  it('refuses a token whose secret does not match the stored hash', async () => {
    const { token } = await sut.create({ name: 'ci', role: 'viewer' }, systemActor('test'));
    const forged = `${token.slice(0, 21)}${'Z'.repeat(43)}`;

    await expect(sut.authenticate(`Bearer ${forged}`, null)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
