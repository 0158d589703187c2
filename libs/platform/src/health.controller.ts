import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';

/** A named readiness check: resolves true when the dependency answers. */
export interface ReadinessProbe {
  name: string;
  check(): Promise<boolean>;
}

export const READINESS_PROBES = Symbol('READINESS_PROBES');

/** Liveness and readiness endpoints every service exposes. */
@Controller()
export class HealthController {
  constructor(@Inject(READINESS_PROBES) private readonly probes: ReadinessProbe[]) {}

  /** The process is up and serving HTTP. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Every dependency the service needs answers; 503 with the failing ones otherwise. */
  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    const results = await Promise.all(
      this.probes.map(async (p) => {
        const ok = await Promise.race([
          p.check().catch(() => false),
          new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref()),
        ]);
        return [p.name, ok ? 'ok' : 'down'] as const;
      }),
    );
    const checks = Object.fromEntries(results);
    const ready = results.every(([, s]) => s === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  }
}
