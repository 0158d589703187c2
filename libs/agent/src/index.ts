export * from './settings';
export { type AgentLogger } from './support/logger';
export { type HealthProbe } from './health/health-gate';
export { type ServiceManager } from './service-managers/service-manager';
export { serviceManagerPlugin, ServiceManagerKinds } from './service-managers/registry';
export { NodeAgentRuntime } from './node-agent.runtime';
export { parseNpmRegistryKeys, type NpmRegistryKey } from './verify/npm-registry-keys';
export { type NpmAnchorOptions } from './verify/npm-signature-verifier';
