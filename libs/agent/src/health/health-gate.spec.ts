import { AgentErrorCode, InstallStepError } from '../errors';
import { HealthGate, type HealthProbeResult } from './health-gate';

/** A gate on a fake clock: each probe takes 0 ms, sleeping advances the clock. */
function gateWith(answers: boolean[]) {
  let t = 0;
  let i = 0;
  const probe = async (): Promise<HealthProbeResult> => {
    const ok = answers[Math.min(i++, answers.length - 1)];
    return { ok, detail: ok ? 'HTTP 200' : 'HTTP 503' };
  };
  return new HealthGate({ probe, now: () => t, sleep: async (ms) => void (t += ms) }, 100);
}

describe(HealthGate.name, () => {
  it.each<[string, boolean[], number, number, number | null]>([
    ['passes after min healthy time of 2xx', [true], 300, 1000, 300],
    ['restarts the streak after a failure', [true, true, false, true, true, true, true], 300, 2000, 600],
    ['passes at once with min healthy time 0', [true], 0, 1000, 0],
    ['fails when never healthy before the deadline', [false], 300, 1000, null],
    ['fails when healthy too late', [false, false, false, false, false, false, false, false, true], 300, 1000, null],
  ])('%s', async (_what, answers, minHealthy, deadline, elapsed) => {
    const sut = gateWith(answers);

    const outcome = await sut.wait(minHealthy, deadline).then(
      (r) => r.elapsedMs,
      (e: unknown) => e,
    );

    if (elapsed === null) {
      expect(outcome).toBeInstanceOf(InstallStepError);
      expect((outcome as InstallStepError).code).toBe(AgentErrorCode.HealthGateFailed);
      expect((outcome as InstallStepError).message).toMatch(/last answer: HTTP/);
    } else {
      expect(outcome).toBe(elapsed);
    }
  });
});
