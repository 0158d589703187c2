import { deadLetterMsgId } from './dead-letter-msg-id';

const bytes = (s: string) => new TextEncoder().encode(s);

describe(deadLetterMsgId.name, () => {
  it('is the same for every attempt at one message, and not derivable from its stream and sequence alone', () => {
    const sut = deadLetterMsgId('NS_COMMANDS', 42, bytes('{"commandId":"r1.n2.install"}'));

    expect(deadLetterMsgId('NS_COMMANDS', 42, bytes('{"commandId":"r1.n2.install"}'))).toBe(sut);
    expect(sut).toMatch(/^dlq-NS_COMMANDS-42-[A-Za-z0-9_-]{22}$/);
    expect(sut).not.toBe('dlq-NS_COMMANDS-42');
    expect(deadLetterMsgId('NS_COMMANDS', 42, bytes('{"forged":true}'))).not.toBe(sut);
  });
});
