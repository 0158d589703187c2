export { runService } from './bootstrap';
export { PlatformModule } from './platform.module';
