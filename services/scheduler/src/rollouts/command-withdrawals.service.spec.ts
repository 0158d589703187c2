import { Logger } from '@nestjs/common';
import type { NodeCommander } from '../fleet/node-commander';
import type { CommandWithdrawalRepository, PendingWithdrawal } from './command-withdrawal.repository';
import { CommandWithdrawals } from './command-withdrawals.service';

describe(CommandWithdrawals.name, () => {
  let queue: PendingWithdrawal[];
  let down: Set<number>;
  let deleted: number[];
  let sut: CommandWithdrawals;

  beforeEach(() => {
    queue = [11, 12, 13].map((seq) => ({ rolloutId: 'r', nodeId: `n${seq}`, seq }));
    down = new Set();
    deleted = [];
    const repo = {
      pending: async () => [...queue],
      markWithdrawn: async (w: PendingWithdrawal) => void (queue = queue.filter((q) => q.seq !== w.seq)),
    };
    const commander = {
      withdraw: async (seq: number) => {
        if (down.has(seq)) throw new Error('TimeoutError: NATS did not answer');
        deleted.push(seq);
      },
    };
    sut = new CommandWithdrawals(repo as unknown as CommandWithdrawalRepository, commander as unknown as NodeCommander);
  });

  it('withdraws every queued command, oldest first, and dequeues each once NATS confirmed it', async () => {
    const left = await sut.run();

    expect(left).toBe(0);
    expect(deleted).toEqual([11, 12, 13]);
    expect(queue).toEqual([]);
  });

  it('stops at the first refusal (NATS is down), keeps it and the rest queued, warns once, and finishes on a later run', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    down.add(12);

    const first = await sut.run();
    const second = await sut.run();
    down.clear();
    const third = await sut.run();

    expect([first, second, third]).toEqual([2, 2, 0]);
    expect(deleted).toEqual([11, 12, 13]);
    expect(queue).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/stream seq 12.*retrying on the next reconcile/);
    warn.mockRestore();
  });
});
