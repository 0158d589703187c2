import { Queries, systemActor, type QueryReply } from '@lockstep/contracts';
import { MinioObjectStore } from '@lockstep/storage';
import { TufRepositoryWriter, generateKeySet, trustedRootFor } from '@lockstep/releases';
import {
  startHttpReceiver,
  startOtlpReceiver,
  startS3Server,
  startService,
  uniqueName,
  type ServiceProcess,
} from '@lockstep/testing';
import { createTestDeployment, s3Env } from '../support/control-plane';

/** Who the queries act as: the API passes the token's identity, this spec talks to the services directly. */
const TEST_ACTOR = systemActor('trace-e2e');

describe('one trace per release (checker → notifier → webhook)', () => {
  it('links the checker check, the notifier consumer and the delivery in one trace', async () => {
    const otlp = await startOtlpReceiver();
    const s3 = await startS3Server();
    const dep = await createTestDeployment();
    const hook = await startHttpReceiver();
    const procs: ServiceProcess[] = [];
    try {
      const bucket = uniqueName('b');
      const store = new MinioObjectStore({
        endpoint: s3.endpoint,
        accessKey: s3.accessKey,
        secretKey: s3.secretKey,
        bucket,
      });
      await store.ensureBucket();
      const keys = generateKeySet();
      const writer = new TufRepositoryWriter();
      await writer.publish({
        store,
        component: 'demo',
        artifact: Buffer.from('v1'.repeat(100)),
        version: '1.0.0',
        channel: 'stable',
        keys,
      });
      await writer.publish({
        store,
        component: 'demo',
        artifact: Buffer.from('v2'.repeat(100)),
        version: '1.1.0',
        channel: 'stable',
        keys,
      });
      const telemetry = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint };
      procs.push(
        await startService('checker', {
          ...dep.envFor('checker'),
          ...s3Env(s3, bucket),
          ...telemetry,
          CHECKER_CHECK_ON_START: 'false',
        }),
      );
      procs.push(
        await startService('notifier', {
          ...dep.envFor('notifier'),
          ...telemetry,
          NOTIFIER_ALLOWED_DESTINATIONS: 'loopback',
        }),
      );
      await dep.queries.send(Queries.SubscriptionUpsert, {
        name: 'hook',
        channel: 'webhook',
        target: { url: hook.url },
        eventTypes: ['release.available'],
        actor: TEST_ACTOR,
      });
      const trustedRoot = (await trustedRootFor(store, 'demo')).toString();
      await dep.queries.send(Queries.ComponentUpsert, {
        name: 'demo',
        sourceType: 'tuf',
        currentVersion: '1.0.0',
        sourceConfig: { mode: 's3', trustedRoot },
        actor: TEST_ACTOR,
      });

      const reply = await dep.queries.send<QueryReply<Array<{ announced: string[] }>>>(
        Queries.CheckNow,
        { component: 'demo', actor: TEST_ACTOR },
        30000,
      );
      await hook.waitForRequests(1);
      const spans = await otlp.waitForSpans((all) => all.some((s) => s.name === 'deliver webhook'), 20000);

      expect(reply).toMatchObject({ ok: true, result: [{ announced: ['1.1.0'] }] });
      const check = spans.find((s) => s.serviceName === 'checker' && s.name === 'check demo')!;
      const consume = spans.find((s) => s.serviceName === 'notifier' && s.name === 'process evt.release.available.v1')!;
      const deliver = spans.find((s) => s.serviceName === 'notifier' && s.name === 'deliver webhook')!;
      expect(check).toBeDefined();
      expect(consume).toMatchObject({ traceId: check.traceId, parentSpanId: check.spanId });
      expect(deliver).toMatchObject({ traceId: check.traceId, parentSpanId: consume.spanId });
    } finally {
      await Promise.all(procs.map((p) => p.kill('SIGTERM')));
      await hook.stop();
      await dep.close();
      await s3.stop(true);
      await otlp.stop();
    }
  });
});
