export * from './errors';
export * from './version-scheme';
export * from './schemes/registry';
export { semverScheme } from './schemes/semver';
export { abrScheme } from './schemes/abr';
export * from './channels';
export * from './candidates';
