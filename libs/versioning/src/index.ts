export * from './schemes/registry';
export { semverScheme } from './schemes/semver';
export * from './channels';
export { classifyCandidate, newerThan } from './candidates';
export { checkRange, satisfies, unmetRequirements, type RunningComponent, type UnmetRequirement } from './requirements';
export {
  dependencyOrder,
  findCycle,
  findCycleThrough,
  requirementGraph,
  type DependencyGraph,
} from './dependency-graph';
export {
  DependencyCycleError,
  formatCycle,
  InvalidVersionError,
  InvalidVersionRangeError,
  VersioningErrorCode,
} from './errors';
