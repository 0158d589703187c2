import type { InstallFinishedV1, InstallProgressV1 } from '@lockstep/contracts';
import { InstallOutcomesService } from './install-outcomes.service';
import type { RolloutConductor } from './rollout-conductor.service';
import type { InstallOutcomesRepository } from './install-outcomes.repository';

const finished = { commandId: 'r1.node-1.install', result: 'succeeded' } as InstallFinishedV1;
const progress = { commandId: 'r1.node-1.install', step: 'downloading', percent: 10 } as InstallProgressV1;

describe(InstallOutcomesService.name, () => {
  let repo: { applyFinished: jest.Mock; applyProgress: jest.Mock };
  let conductor: { wake: jest.Mock };
  let sut: InstallOutcomesService;

  beforeEach(() => {
    repo = { applyFinished: jest.fn(), applyProgress: jest.fn(async () => undefined) };
    conductor = { wake: jest.fn() };
    sut = new InstallOutcomesService(
      repo as unknown as InstallOutcomesRepository,
      conductor as unknown as RolloutConductor,
    );
  });

  it.each([
    ['wakes the conductor when an outcome changed a rollout node', ['r1'], 1],
    ['leaves the conductor napping when no node changed (a repeat)', [], 0],
  ])('%s', async (_what, changed, wakes) => {
    repo.applyFinished.mockResolvedValue(changed);

    await sut.recordFinished([finished, finished]);

    expect(repo.applyFinished).toHaveBeenCalledWith([finished, finished]);
    expect(conductor.wake).toHaveBeenCalledTimes(wakes);
  });

  it('records progress without waking the conductor', async () => {
    await sut.recordProgress([progress]);

    expect(repo.applyProgress).toHaveBeenCalledWith([progress]);
    expect(conductor.wake).not.toHaveBeenCalled();
  });
});
