export { toCron, windowCron } from './cron';
export * from './schedule';
export * from './windows';
