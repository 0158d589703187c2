import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CHECKER_CONFIG, type CheckerConfig } from '../checker.config';
import { MetadataFreshnessService } from './metadata-freshness.service';

/**
 * Runs the metadata refresher at start and then four times per CHECKER_TUF_REFRESH_INTERVAL:
 * a repository is re-signed only once its timestamp is an interval old, so passes of several
 * replicas add up to one refresh per interval.
 */
@Injectable()
export class MetadataFreshnessPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MetadataFreshnessPoller.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly freshness: MetadataFreshnessService,
    @Inject(CHECKER_CONFIG) private readonly config: CheckerConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.LOCKSTEP_TUF_ONLINE_KEYS)
      this.logger.warn(
        'LOCKSTEP_TUF_ONLINE_KEYS(_FILE) is not set: this checker re-signs no TUF timestamp. Publishes sign long-lived ones while no checker holding the keys has marked the component; a repository that still has a short one stops verifying when it expires (release.metadata_expiring says which). Give the checker the online key file from `lockstep keys init`',
      );
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.freshness
        .runAll()
        .catch((err) => this.logger.error(`metadata refresh pass failed: ${(err as Error).message}`))
        .finally(() => this.schedule(Math.max(1000, this.config.CHECKER_TUF_REFRESH_INTERVAL / 4)));
    }, ms);
  }
}
