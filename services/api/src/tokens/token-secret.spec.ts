import { TOKEN_PATTERN } from '@lockstep/contracts';
import { hashToken, mintToken, tokenId, tokenMatches } from './token-secret';

describe(mintToken.name, () => {
  it('makes a recognisable token that carries its id, different every time', () => {
    const a = mintToken();
    const b = mintToken();

    expect(a.token).toMatch(TOKEN_PATTERN);
    expect(tokenId(a.token)).toBe(a.id);
    expect(a.token).not.toBe(b.token);
  });

  it.each(['', 'lst_', 'Bearer x', `lst_XYZ_${'a'.repeat(43)}`, `lst_0123456789abcdef_${'a'.repeat(42)}`])(
    'finds no id in %j',
    (token) => {
      expect(tokenId(token)).toBeUndefined();
    },
  );

  it('matches only the token whose hash is stored', () => {
    const { token } = mintToken();
    const stored = hashToken(token);

    expect(tokenMatches(token, stored)).toBe(true);
    expect(tokenMatches(`${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`, stored)).toBe(false);
    expect(tokenMatches(token, 'abc')).toBe(false);
  });
});
