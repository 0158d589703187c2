import type { AgentSettings } from '../settings';

/**
 * Settings of an agent under test: the demo app supervised on `appPort`, quick health checks,
 * small limits, and the cluster lock as its lock key; `over` adds its anchor, S3, and the rest.
 */
export function testAgentSettings(
  base: { nodeId: string; dir: string; component: string; appPort: number },
  over: Partial<AgentSettings> = {},
): AgentSettings {
  return {
    nodeId: base.nodeId,
    labels: {},
    dir: base.dir,
    component: base.component,
    serviceManager: 'supervise',
    serviceManagerSettings: {
      superviseCommand: 'node server.js',
      appPort: base.appPort,
      stopTimeoutMs: 5000,
      systemctl: 'systemctl',
      systemdUser: false,
    },
    healthUrl: `http://127.0.0.1:${base.appPort}/health`,
    healthIntervalMs: 50,
    healthTimeoutMs: 1000,
    keepReleases: 3,
    minFreeDiskBytes: 1024 * 1024,
    maxArtifactBytes: 16 * 1024 * 1024,
    maxUnpackedBytes: 64 * 1024 * 1024,
    downloadTimeoutMs: 30_000,
    hookTimeoutMs: 10_000,
    heartbeatMs: 1000,
    drainMs: 5000,
    lockKey: 'cluster',
    ...over,
  };
}
