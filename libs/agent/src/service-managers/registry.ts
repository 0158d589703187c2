import { commandPlugin } from './command';
import type { ServiceManager, ServiceManagerContext, ServiceManagerPlugin } from './service-manager';
import { supervisePlugin } from './supervise';
import { systemdPlugin } from './systemd';

/**
 * Every service-manager plugin by id (= AGENT_SERVICE_MANAGER value); each lives in
 * `service-managers/<id>/index.ts` and a spec checks this map and the folders agree.
 * Adding one: a folder and a line here.
 */
export const ServiceManagers = {
  supervise: supervisePlugin,
  systemd: systemdPlugin,
  command: commandPlugin,
} as const satisfies Record<string, ServiceManagerPlugin>;

export type ServiceManagerKind = keyof typeof ServiceManagers;

/** The ids, for settings validation. */
export const ServiceManagerKinds = Object.keys(ServiceManagers) as [ServiceManagerKind, ...ServiceManagerKind[]];

/** The plugin with this id. */
export function serviceManagerPlugin(id: string): ServiceManagerPlugin {
  const plugin = Object.hasOwn(ServiceManagers, id) ? ServiceManagers[id as ServiceManagerKind] : undefined;
  if (!plugin) throw new Error(`unknown service manager "${id}"; use one of ${ServiceManagerKinds.join(', ')}`);
  return plugin;
}

/** Builds the service manager `id` for an app directory. */
export const createServiceManager = (id: string, ctx: ServiceManagerContext): ServiceManager =>
  serviceManagerPlugin(id).create(ctx);
