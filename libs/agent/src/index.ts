export * from './settings';
export { type AgentLogger } from './support/logger';
export { type HealthProbe } from './health/health-gate';
export { type ServiceManager } from './service-managers/service-manager';
export { serviceManagerPlugin, ServiceManagerKinds } from './service-managers/registry';
export { NodeAgentRuntime } from './node-agent.runtime';
export { TufArtifactVerifier, type TufVerifierOptions, type ArtifactFacts } from './verify/tuf-artifact-verifier';
export { AgentErrorCode, InstallStepError } from './errors';
