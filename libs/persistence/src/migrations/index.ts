import { InitialSchema1763800000000 } from './1763800000000-initial-schema';
import { Rollouts1763900000000 } from './1763900000000-rollouts';
import { Backups1764000000000 } from './1764000000000-backups';
import { ApiTokens1765000000000 } from './1765000000000-api-tokens';
import { AuditLog1765100000000 } from './1765100000000-audit-log';
import { SealedSecrets1765200000000 } from './1765200000000-sealed-secrets';
import { ReleaseMetadataWarnings1765500000000 } from './1765500000000-release-metadata-warnings';
import { OneActiveRollout1765608000000 } from './1765608000000-one-active-rollout';
import { OutboxAggregatesAndDeadLetters1765620000000 } from './1765620000000-outbox-aggregates-and-dead-letters';
import { LostNodes1765641200000 } from './1765641200000-lost-nodes';
import { CommandWithdrawal1765700000000 } from './1765700000000-command-withdrawal';
import { NodeLivenessAndRemovals1765710000000 } from './1765710000000-node-liveness-and-removals';
import { Settings1765720000000 } from './1765720000000-settings';
import { UpdatePolicy1765730000000 } from './1765730000000-update-policy';
import { SchedulesAndWindows1765740000000 } from './1765740000000-schedules-and-windows';
import { UpdateDecisions1765750000000 } from './1765750000000-update-decisions';
import { AutomaticRollouts1765760000000 } from './1765760000000-automatic-rollouts';
import { ComponentRequirements1765770000000 } from './1765770000000-component-requirements';

export { ONE_ACTIVE_ROLLOUT_INDEX } from './1765608000000-one-active-rollout';

/** Every migration, oldest first. */
export const allMigrations = [
  InitialSchema1763800000000,
  Rollouts1763900000000,
  Backups1764000000000,
  ApiTokens1765000000000,
  AuditLog1765100000000,
  SealedSecrets1765200000000,
  ReleaseMetadataWarnings1765500000000,
  OneActiveRollout1765608000000,
  OutboxAggregatesAndDeadLetters1765620000000,
  LostNodes1765641200000,
  CommandWithdrawal1765700000000,
  NodeLivenessAndRemovals1765710000000,
  Settings1765720000000,
  UpdatePolicy1765730000000,
  SchedulesAndWindows1765740000000,
  UpdateDecisions1765750000000,
  AutomaticRollouts1765760000000,
  ComponentRequirements1765770000000,
];
