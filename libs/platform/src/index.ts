export { runService } from './bootstrap';
export { PlatformModule } from './platform.module';
export { HealthController } from './health.controller';
