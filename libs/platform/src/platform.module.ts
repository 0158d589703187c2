import { Module, type DynamicModule } from '@nestjs/common';
import type { CommonConfig } from '@lockstep/config';
import type { Subject } from '@lockstep/contracts';
import { MessagingModule, NatsClient, publishedSubjectsOf } from '@lockstep/messaging';
import { PersistenceModule, databaseReady } from '@lockstep/persistence';
import { MinioObjectStore, OBJECT_STORE, type ObjectStore } from '@lockstep/storage';
import { TelemetryModule } from '@lockstep/telemetry';
import { DataSource } from 'typeorm';
import { HealthController, READINESS_PROBES, type ReadinessProbe } from './health.controller';

export interface PlatformOptions {
  service: string;
  /** DATABASE_URL is needed only when `database` is on. */
  config: Omit<CommonConfig, 'DATABASE_URL' | 'EVENT_REDELIVERY_BACKOFF'> &
    Partial<{
      DATABASE_URL: string;
      EVENT_REDELIVERY_BACKOFF: number[];
      S3_ENDPOINT: string;
      S3_ACCESS_KEY: string;
      S3_SECRET_KEY: string;
      S3_BUCKET: string;
    }>;
  /** Event subjects the service consumes (exactly one @OnEvent handler each). */
  handles?: Subject[];
  /** Provide the object store (and check it for readiness). */
  objectStore?: boolean;
  /** Run the outbox relay in this process. */
  relay?: boolean;
  /**
   * Connect to Postgres (migrations, outbox, readiness check). Default true; node-local
   * processes such as the installer agent pass false and need no DATABASE_URL.
   */
  database?: boolean;
  /** What this process does to the namespace's streams at start (MessagingOptions.topology; default `create`). */
  topology?: 'manage' | 'create' | 'use';
}

/** What every service has: NATS/JetStream, Postgres with migrations (unless `database: false`), optional S3, health endpoints. */
@Module({})
export class PlatformModule {
  static forService(o: PlatformOptions): DynamicModule {
    const c = o.config;
    const database = o.database ?? true;
    if (database && !c.DATABASE_URL)
      throw new Error(`${o.service}: DATABASE_URL is required (or build the platform with database: false)`);
    const storeProviders = o.objectStore
      ? [
          {
            provide: OBJECT_STORE,
            useFactory: async () => {
              const store = new MinioObjectStore({
                endpoint: c.S3_ENDPOINT!,
                accessKey: c.S3_ACCESS_KEY!,
                secretKey: c.S3_SECRET_KEY!,
                bucket: c.S3_BUCKET!,
              });
              await store.ensureBucket();
              return store;
            },
          },
        ]
      : [];
    return {
      module: PlatformModule,
      global: true,
      imports: [
        MessagingModule.forRoot({
          service: o.service,
          connection: c,
          namespace: c.NATS_NAMESPACE,
          handles: o.handles ?? [],
          replicas: c.NATS_REPLICAS,
          ...(c.EVENT_REDELIVERY_BACKOFF ? { redeliveryBackoffMs: c.EVENT_REDELIVERY_BACKOFF } : {}),
          topology: o.topology,
        }),
        ...(database
          ? [
              PersistenceModule.forRoot({
                url: c.DATABASE_URL!,
                relay: o.relay ?? true,
                relaySubjects: publishedSubjectsOf(o.service),
              }),
            ]
          : []),
        TelemetryModule.forRoot({ serviceName: o.service }),
      ],
      controllers: [HealthController],
      providers: [
        ...storeProviders,
        {
          provide: READINESS_PROBES,
          useFactory: (nats: NatsClient, ...deps: unknown[]): ReadinessProbe[] => {
            const ds = database ? (deps.shift() as DataSource) : undefined;
            const store = o.objectStore ? (deps.shift() as ObjectStore) : undefined;
            return [
              { name: 'nats', check: () => nats.isReady() },
              ...(ds ? [{ name: 'postgres', check: () => databaseReady(ds) }] : []),
              ...(store
                ? [
                    {
                      name: 's3',
                      check: async () => {
                        await store.list('__readyz__');
                        return true;
                      },
                    },
                  ]
                : []),
            ];
          },
          inject: [NatsClient, ...(database ? [DataSource] : []), ...(o.objectStore ? [OBJECT_STORE] : [])],
        },
      ],
      exports: [...(o.objectStore ? [OBJECT_STORE] : [])],
    };
  }
}
