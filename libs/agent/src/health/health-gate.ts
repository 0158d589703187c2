import { AgentErrorCode, InstallStepError } from '../errors';

/** One probe of the health endpoint. */
export interface HealthProbeResult {
  ok: boolean;
  /** e.g. "HTTP 200", "HTTP 503", "ECONNREFUSED". */
  detail: string;
}

/** Asks the app whether it is healthy once. */
export type HealthProbe = (signal: AbortSignal) => Promise<HealthProbeResult>;

/** What a health gate needs from the outside world (faked in tests). */
export interface HealthGateDeps {
  probe: HealthProbe;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** Probes `url` with GET; 2xx is healthy. */
export function httpHealthProbe(url: string, timeoutMs: number): HealthProbe {
  return async (signal) => {
    try {
      const res = await fetch(url, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        redirect: 'manual',
        headers: { connection: 'close' },
      });
      await res.body?.cancel().catch(() => undefined);
      return { ok: res.status >= 200 && res.status < 300, detail: `HTTP ${res.status}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return {
        ok: false,
        detail: e.cause?.code ?? (e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.message),
      };
    }
  };
}

/** Real clock and timers. */
export const systemHealthDeps = (probe: HealthProbe): HealthGateDeps => ({
  probe,
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
});

/** How a passed gate went. */
export interface HealthGateResult {
  /** Milliseconds from the start until the app had been healthy for minHealthyMs. */
  elapsedMs: number;
  probes: number;
}

/**
 * The health gate: the app must answer 2xx on every probe for `minHealthyMs` without a
 * break, and reach that within `deadlineMs` of the start. A failed probe restarts the
 * healthy streak. Throws InstallStepError(HEALTH_GATE_FAILED) naming the last answer.
 */
export class HealthGate {
  constructor(
    private readonly deps: HealthGateDeps,
    private readonly intervalMs: number,
  ) {}

  async wait(
    minHealthyMs: number,
    deadlineMs: number,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<HealthGateResult> {
    const start = this.deps.now();
    let healthySince: number | undefined;
    let probes = 0;
    let last: string;
    let longest = 0;
    for (;;) {
      if (signal.aborted)
        throw new InstallStepError(AgentErrorCode.Interrupted, 'health gate interrupted: the agent is stopping', {
          step: 'health_check',
        });
      const at = this.deps.now();
      const result = await this.deps.probe(signal);
      probes++;
      last = result.detail;
      const after = this.deps.now();
      if (result.ok) {
        healthySince ??= at;
        longest = Math.max(longest, after - healthySince);
        if (after - healthySince >= minHealthyMs) return { elapsedMs: after - start, probes };
      } else {
        healthySince = undefined;
      }
      if (after - start >= deadlineMs) {
        const streak = longest > 0 ? `; the longest healthy streak was ${longest} ms` : '; it never answered 2xx';
        throw new InstallStepError(
          AgentErrorCode.HealthGateFailed,
          `the app was not healthy for ${minHealthyMs} ms in a row within ${deadlineMs} ms (last answer: ${last}${streak}); see the app's logs`,
          { step: 'health_check' },
        );
      }
      await this.deps.sleep(Math.min(this.intervalMs, Math.max(0, start + deadlineMs - after)));
    }
  }
}
