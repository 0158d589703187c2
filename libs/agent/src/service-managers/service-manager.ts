import type { AppDirectory } from '../app/app-directory';
import type { AgentLogger } from '../support/logger';

/** Running state of the app as its service manager sees it. */
export type AppStatus = 'running' | 'stopped' | 'unknown';

/**
 * Controls the application on this node. Every method acts on the release `current` points
 * at; the agent swaps `current` first and then calls `restart()`.
 */
export interface ServiceManager {
  /** Plugin id. */
  readonly id: string;
  /** Starts the app when it is not running (at agent start). */
  start(): Promise<void>;
  /** Stops the app (if running) and starts it again from `current`. */
  restart(): Promise<void>;
  /** Stops the app. */
  stop(): Promise<void>;
  status(): Promise<AppStatus>;
  /** The agent is stopping; release resources (the supervise plugin stops its child). */
  close(): Promise<void>;
}

/** Every service-manager setting; each plugin reads its own and validates them. */
export interface ServiceManagerSettings {
  /** supervise: command run with /bin/sh inside `current/`, e.g. `node server.js`. */
  superviseCommand?: string;
  /** supervise and command: port passed to the app as PORT. */
  appPort?: number;
  /** How long the app gets between SIGTERM and SIGKILL (supervise), or a command may take (systemd, command). */
  stopTimeoutMs: number;
  /** systemd: the unit to control. */
  systemdUnit?: string;
  /** systemd: systemctl executable. */
  systemctl: string;
  /** systemd: talk to the user manager (`systemctl --user`). */
  systemdUser: boolean;
  /** command: start, stop and (optional) status commands, run with /bin/sh in the app directory. */
  startCommand?: string;
  stopCommand?: string;
  statusCommand?: string;
}

/** What a plugin gets to build its manager. */
export interface ServiceManagerContext {
  dir: AppDirectory;
  settings: ServiceManagerSettings;
  logger: AgentLogger;
}

/** A problem with a plugin's settings, naming the environment variable. */
export interface SettingProblem {
  variable: string;
  message: string;
}

/** A service-manager plugin: one folder under service-managers/, listed in registry.ts. */
export interface ServiceManagerPlugin {
  /** Plugin id, equal to its folder name and to the AGENT_SERVICE_MANAGER value. */
  readonly id: string;
  /** Checks the settings this plugin needs. */
  validate(settings: Partial<ServiceManagerSettings>): SettingProblem[];
  create(ctx: ServiceManagerContext): ServiceManager;
}

/** Environment every app start gets (besides PORT). */
export const appEnvironment = (dir: AppDirectory, version: string | null): Record<string, string> => ({
  LOCKSTEP_AGENT_DIR: dir.root,
  LOCKSTEP_CURRENT_DIR: dir.currentLink,
  LOCKSTEP_SHARED_DIR: dir.sharedDir,
  LOCKSTEP_VERSION: version ?? '',
});
