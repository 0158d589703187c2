/**
 * The destination guard shared by everything that fetches a URL someone else chose: the
 * notifier's webhooks, the checker's release sources and the agents' metadata and artifacts.
 * Special-purpose and cloud-metadata addresses are refused unless allow-listed; DNS is asked
 * once and the connection pinned to the checked address; redirects are re-checked.
 */
export * from './address-class';
export * from './agent-pool';
export * from './allow-list';
export * from './destination-guard';
export * from './guarded-fetch';
export * from './ip-address';
