export * from './schemes/registry';
export { semverScheme } from './schemes/semver';
export * from './channels';
export { classifyCandidate, newerThan } from './candidates';
