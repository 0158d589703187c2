import { systemActor } from '@lockstep/contracts';
import { DeadLettersService } from './dead-letters.service';
import type { DeliveryRepository } from './delivery.repository';
import type { DeliveryWorker } from './delivery-worker.service';

describe(DeadLettersService.name, () => {
  const deliveries = { replayDead: jest.fn() };
  const worker = { wake: jest.fn() };
  const sut = new DeadLettersService(deliveries as unknown as DeliveryRepository, worker as unknown as DeliveryWorker);

  beforeEach(() => jest.resetAllMocks());

  it('replays the selected dead deliveries and wakes the worker for them', async () => {
    deliveries.replayDead.mockResolvedValue(2);

    const reply = await sut.replay({ subscriptionId: 'sub-1', actor: systemActor('spec') });

    expect(reply).toEqual({ ok: true, result: { replayed: 2 } });
    expect(deliveries.replayDead).toHaveBeenCalledWith({ subscriptionId: 'sub-1' }, systemActor('spec'));
    expect(worker.wake).toHaveBeenCalledTimes(1);
  });

  it('leaves the worker asleep when nothing was dead', async () => {
    deliveries.replayDead.mockResolvedValue(0);

    const reply = await sut.replay({ actor: systemActor('spec') });

    expect(reply).toEqual({ ok: true, result: { replayed: 0 } });
    expect(worker.wake).not.toHaveBeenCalled();
  });
});
