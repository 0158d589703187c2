export * from './s3-server';
export * from './postgres';
export * from './names';
export * from './processes';
export { startHttpReceiver, type ReceivedRequest, type HttpReceiver, type ReceiverScript } from './http-receiver';
export * from './otlp-receiver';
export { runCli, jsonOf, type CliRun } from './cli';
export {
  startNatsServer,
  type StartNatsServerOptions,
  natsServerBinary,
  startNatsCluster,
  type NatsServerHandle,
  type NatsServerInstance,
  type NatsClusterHandle,
} from './nats-cluster';
export { rejectionOf } from './rejection';
export { createTestNatsOperator, type NatsUserPermissions, type TestNatsOperator } from './nats-operator';
export { createTestCertificates, type TestCertificates } from './tls-certificates';
export { writeTar, writeTarGz, type TarEntry, type TarOptions } from './tar-writer';
export {
  demoAppEntries,
  buildDemoArtifact,
  buildMaliciousArtifact,
  MaliciousArtifactKinds,
  type DemoArtifactOptions,
} from './demo-artifact';
export * from './event-fixtures';
export { nodeEntry, nodeRecord } from './node-fixtures';
export { spawnTs, type TsChild } from './ts-child';
export { FakeNpmRegistry, generateNpmSigningKey, type NpmSigning, type NpmSigningKey } from './npm-registry';
export { weekendWindowBody } from './schedule-fixtures';
