import { InitialSchema1763800000000 } from './1763800000000-initial-schema';
import { Rollouts1763900000000 } from './1763900000000-rollouts';

/** Every migration, oldest first. */
export const allMigrations = [InitialSchema1763800000000, Rollouts1763900000000];
