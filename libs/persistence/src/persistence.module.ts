import { Global, Module, type DynamicModule, type OnApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEAD_LETTER_RECORDER } from '@lockstep/messaging';
import { auditDeadLetters } from './audit/audit-dead-letters';
import { createDataSource, ensureDatabase, runMigrations } from './data-source';
import { OUTBOX_RELAY_SUBJECTS, OutboxRelay } from './outbox/outbox-relay';
import { PolicyStore } from './policy/policy-store';
import { SettingsReader } from './settings/settings-reader';

export interface PersistenceOptions {
  url: string;
  /** Create the database when missing (development convenience; needs CREATEDB). */
  createDatabase?: boolean;
  /** Run the outbox relay in this process. */
  relay?: boolean;
  /** Relay only outbox rows with these subjects (what this service's NATS user may publish); default every row. */
  relaySubjects?: readonly string[];
  poolSize?: number;
}

@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** Postgres through TypeORM: connects, migrates at start, exposes DataSource, the outbox relay and the runtime settings' reader. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceOptions): DynamicModule {
    const providers = [
      {
        provide: DataSource,
        useFactory: async () => {
          if (options.createDatabase !== false) await ensureDatabase(options.url);
          const ds = createDataSource(options.url, { poolSize: options.poolSize });
          await ds.initialize();
          await runMigrations(ds);
          return ds;
        },
      },
      DataSourceCloser,
      ...(options.relay === false ? [] : [OutboxRelay]),
      ...(options.relaySubjects ? [{ provide: OUTBOX_RELAY_SUBJECTS, useValue: options.relaySubjects }] : []),
      { provide: DEAD_LETTER_RECORDER, useFactory: auditDeadLetters, inject: [DataSource] },
      PolicyStore,
      SettingsReader,
    ];
    return {
      module: PersistenceModule,
      providers,
      exports: [
        DataSource,
        DEAD_LETTER_RECORDER,
        PolicyStore,
        SettingsReader,
        ...(options.relay === false ? [] : [OutboxRelay]),
      ],
    };
  }
}

/** True when Postgres answers a trivial query. */
export async function databaseReady(ds: DataSource): Promise<boolean> {
  try {
    await ds.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
