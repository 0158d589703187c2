import { Streams } from '@lockstep/contracts';
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { createCommandConsumer, nodeCommandConsumerOptions } from './command-consumer';
import { openNodesBucket } from './node-directory';

const DAY_NS = nanos(24 * 3600 * 1000);

/**
 * Creates the namespace's streams when missing and (unless `update: false`) brings an existing
 * one's subjects, retention and duplicate window up to date. Safe to run at every start.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  namespace: string,
  replicas: number,
  options: { update?: boolean } = {},
): Promise<void> {
  for (const s of Object.values(Streams)) {
    const name = `${namespace.toUpperCase()}_${s.name}`;
    const config: Partial<StreamConfig> & { name: string } = {
      name,
      subjects: s.subjects.map((x) => `${namespace}.${x}`),
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: 14 * DAY_NS,
      duplicate_window: nanos(10 * 60 * 1000),
      num_replicas: replicas,
    };
    await addOrUpdate(
      () => jsm.streams.info(name),
      () => jsm.streams.add(config),
      (existing) =>
        // only the scheduler may change a stream (see nats-permissions); others take it as it is
        options.update === false
          ? Promise.resolve()
          : jsm.streams.update(name, {
              ...existing.config,
              subjects: config.subjects,
              max_age: config.max_age,
              duplicate_window: config.duplicate_window,
            }),
    );
  }
}

/** Creates or updates a durable pull consumer with explicit acks. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  filterSubject: string,
  opts: { ackWaitMs: number },
): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    durable_name: durable,
    filter_subject: filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(opts.ackWaitMs),
    // Unlimited: we dead-letter a message ourselves once its handler failed opts.maxDeliver
    // times, but an outage of a dependency may take any number of deliveries to wait out.
    max_deliver: -1,
    max_ack_pending: 1000,
  };
  await addOrUpdate(
    () => jsm.consumers.info(stream, durable),
    () => jsm.consumers.add(stream, config),
    async (existing) => {
      const refilter = existing.config.filter_subject !== filterSubject;
      try {
        await jsm.consumers.update(stream, durable, {
          ack_wait: config.ack_wait,
          max_deliver: config.max_deliver,
          max_ack_pending: config.max_ack_pending,
          // an upgrade can change what a durable captures (install events are now per node)
          ...(refilter ? { filter_subject: filterSubject } : {}),
        });
      } catch (err) {
        if (!refilter) throw err;
        throw new Error(
          `consumer ${durable} on ${stream} captures ${existing.config.filter_subject} but this version needs ${filterSubject}, and the server would not change it (${(err as Error).message}): upgrade nats-server to 2.10 or later, or delete the consumer (nats consumer rm ${stream} ${durable}) and start again`,
          { cause: err },
        );
      }
    },
  );
}

async function addOrUpdate<T>(
  info: () => Promise<T>,
  add: () => Promise<unknown>,
  update: (existing: T) => Promise<unknown>,
): Promise<void> {
  let existing: T | undefined;
  try {
    existing = await info();
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
  }
  if (existing === undefined) {
    try {
      await add();
      return;
    } catch (err) {
      // Another replica created it between our look-up and add.
      if (!/already in use|already exists/i.test((err as Error).message)) throw err;
      existing = await info();
    }
  }
  await update(existing);
}

/**
 * What the control plane creates for its node agents, whose NATS users may not create
 * anything: the namespace's streams, the node bucket, and each named node's command consumer.
 * The scheduler does this as it runs; tests and benchmarks that run agents without one call it.
 */
export async function ensureFleetTopology(
  nc: NatsConnection,
  namespace: string,
  options: { replicas?: number; nodeIds?: string[] } = {},
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, namespace, options.replicas ?? 1);
  await openNodesBucket(nc, namespace, { replicas: options.replicas, create: true });
  for (const nodeId of options.nodeIds ?? [])
    await createCommandConsumer(jsm, nodeCommandConsumerOptions(namespace, nodeId));
}
