import type { NatsConnection } from '@nats-io/nats-core';
import type { NatsConnectionSettings } from '@lockstep/config';
import {
  createTestCertificates,
  rejectionOf,
  startNatsServer,
  type NatsServerInstance,
  type TestCertificates,
} from '@lockstep/testing';
import { connectNats, MessagingUnavailableError, NatsFailures, QueryClient } from '@lockstep/messaging';

/** Real nats-servers: one without TLS, one with TLS, one that also verifies client certificates. */
describe('NATS over TLS', () => {
  let certs: TestCertificates;
  let plain: NatsServerInstance;
  let tls: NatsServerInstance;
  let mutual: NatsServerInstance;
  const connections: NatsConnection[] = [];

  const tlsUrl = (server: NatsServerInstance) => server.url.replace('nats://', 'tls://');
  const connectWith = async (settings: NatsConnectionSettings) => {
    const nc = await connectNats(settings, { reconnect: false, timeout: 3000 });
    connections.push(nc);
    return nc;
  };
  const failureOf = (attempt: Promise<unknown>) => rejectionOf(attempt, MessagingUnavailableError);

  beforeAll(async () => {
    certs = createTestCertificates();
    const serverTls = `cert_file: "${certs.serverCertFile}", key_file: "${certs.serverKeyFile}"`;
    plain = await startNatsServer();
    tls = await startNatsServer({ config: `tls { ${serverTls} }` });
    mutual = await startNatsServer({ config: `tls { ${serverTls}, ca_file: "${certs.caFile}", verify: true }` });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });
  afterAll(async () => {
    await Promise.all([plain, tls, mutual].map((s) => s?.stop()));
    certs?.remove();
  });

  describe('against a server without TLS', () => {
    it('refuses a tls:// URL instead of talking plain text', async () => {
      const err = await failureOf(connectWith({ NATS_URL: [tlsUrl(plain)] }));

      expect(err.code).toBe(NatsFailures.TlsUnavailable);
      expect(err.message).toMatch(/TLS is required \(NATS_URL is tls:\/\/\) but the server does not offer it/);
    });

    it('refuses it when NATS_TLS_REQUIRED=true', async () => {
      const err = await failureOf(connectWith({ NATS_URL: [plain.url], NATS_TLS_REQUIRED: true }));

      expect(err.code).toBe(NatsFailures.TlsUnavailable);
      expect(err.message).toMatch(/NATS_TLS_REQUIRED=true/);
    });

    it('says so through QueryClient (Nest transport) too', async () => {
      const sut = new QueryClient('svc', { NATS_URL: [tlsUrl(plain)] });

      await expect(sut.send('qry.spec.echo.v1' as never, {}, 3000)).rejects.toThrow(/does not offer it/);
      await sut.close();
    });
  });

  describe('against a TLS server', () => {
    it('connects when NATS_TLS_CA_FILE names the CA that signed its certificate', async () => {
      const nc = await connectWith({ NATS_URL: [tlsUrl(tls)], NATS_TLS_CA_FILE: certs.caFile });

      expect(nc.info?.tls_required).toBe(true);
      await nc.flush();
    });

    it('names the certificate problem and NATS_TLS_CA_FILE without the CA', async () => {
      const err = await failureOf(connectWith({ NATS_URL: [tlsUrl(tls)] }));

      expect(err.code).toBe(NatsFailures.Certificate);
      expect(err.message).toMatch(/certificate.*set NATS_TLS_CA_FILE/);
    });
  });

  describe('against a server that verifies clients', () => {
    it('is refused without a client certificate, naming NATS_TLS_CERT_FILE', async () => {
      const err = await failureOf(connectWith({ NATS_URL: [tlsUrl(mutual)], NATS_TLS_CA_FILE: certs.caFile }));

      // an alert (certificate) or, when the server drops the connection after a TLS 1.3 handshake, a reset
      expect([NatsFailures.Certificate, NatsFailures.Unreachable]).toContain(err.code);
      expect(err.message).toMatch(/set NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE/);
    });

    it('connects with the client certificate and key', async () => {
      const nc = await connectWith({
        NATS_URL: [mutual.url],
        NATS_TLS_CA_FILE: certs.caFile,
        NATS_TLS_CERT_FILE: certs.clientCertFile,
        NATS_TLS_KEY_FILE: certs.clientKeyFile,
      });

      await nc.flush();
      expect(nc.isClosed()).toBe(false);
    });
  });
});
