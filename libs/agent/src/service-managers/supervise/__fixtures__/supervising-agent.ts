/**
 * A stand-in for a node agent (run with spawnTs): supervises the app of AGENT_DIR with
 * SUPERVISE_COMMAND, prints `{"started": <pid>}` and idles until it is killed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppDirectory } from '../../../app/app-directory';
import { silentLogger } from '../../../support/logger';
import { SupervisedApp } from '../index';

const dir = new AppDirectory(process.env.AGENT_DIR!);
const app = new SupervisedApp({
  dir,
  settings: {
    superviseCommand: process.env.SUPERVISE_COMMAND,
    stopTimeoutMs: 2000,
    systemctl: 'systemctl',
    systemdUser: false,
  },
  logger: silentLogger,
});
void app.start().then(() => {
  console.log(JSON.stringify({ started: Number(readFileSync(join(dir.stateDir, 'app.pid'), 'utf8').trim()) }));
  setInterval(() => undefined, 1000);
});
