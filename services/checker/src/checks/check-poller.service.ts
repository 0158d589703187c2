import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CHECKER_CONFIG, type CheckerConfig } from '../checker.config';
import { ReleaseCheckService } from './release-check.service';

/** Polls every component on CHECKER_INTERVAL; a pass never overlaps the previous one. */
@Injectable()
export class CheckPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CheckPoller.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly checks: ReleaseCheckService,
    @Inject(CHECKER_CONFIG) private readonly config: CheckerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(this.config.CHECKER_CHECK_ON_START ? 0 : this.config.CHECKER_INTERVAL);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.checks
        .checkAll('poll')
        .catch((err) => this.logger.error(`poll failed: ${(err as Error).message}`))
        .finally(() => this.schedule(this.config.CHECKER_INTERVAL));
    }, ms);
  }
}
