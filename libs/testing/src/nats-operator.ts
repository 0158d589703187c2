import { randomBytes } from 'node:crypto';
import { nkeys } from '@nats-io/nats-core';

type KeyPair = ReturnType<typeof nkeys.createUser>;

/** Subjects a decentralized (JWT) NATS user may publish and subscribe to. */
export interface NatsUserPermissions {
  pub?: { allow?: string[]; deny?: string[] };
  sub?: { allow?: string[]; deny?: string[] };
}

/** An operator with one account, as `nsc` would set up, for tests of .creds authentication. */
export interface TestNatsOperator {
  /** nats-server config lines: the operator JWT and a memory resolver preloaded with the account. */
  serverConfig: string;
  /**
   * The text of a .creds file of a new user of the account, and the user's public key (U…).
   * `permissions` may depend on that key (e.g. to allow its own reply inbox).
   */
  createUser(
    name: string,
    permissions?: NatsUserPermissions | ((publicKey: string) => NatsUserPermissions),
  ): { creds: string; publicKey: string };
}

const NO_LIMIT = -1;

/**
 * Signs JWTs the way nsc does (ed25519-nkey; jti is random here, nats-server does not
 * recompute it), so a test can start nats-server in operator mode without nsc.
 */
export function createTestNatsOperator(): TestNatsOperator {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const operatorJwt = signJwt(operator, operator.getPublicKey(), 'lockstep-test-operator', { type: 'operator' });
  const accountJwt = signJwt(operator, account.getPublicKey(), 'lockstep-test-account', {
    type: 'account',
    limits: {
      subs: NO_LIMIT,
      data: NO_LIMIT,
      payload: NO_LIMIT,
      imports: NO_LIMIT,
      exports: NO_LIMIT,
      wildcards: true,
      conn: NO_LIMIT,
      leaf: NO_LIMIT,
    },
  });
  return {
    serverConfig: [
      `operator: ${operatorJwt}`,
      'resolver: MEMORY',
      `resolver_preload: { ${account.getPublicKey()}: ${accountJwt} }`,
    ].join('\n'),
    createUser(name, given = {}) {
      const user = nkeys.createUser();
      const permissions = typeof given === 'function' ? given(user.getPublicKey()) : given;
      const jwt = signJwt(account, user.getPublicKey(), name, {
        type: 'user',
        pub: permissions.pub ?? {},
        sub: permissions.sub ?? {},
        subs: NO_LIMIT,
        data: NO_LIMIT,
        payload: NO_LIMIT,
      });
      const seed = new TextDecoder().decode(user.getSeed());
      const creds = [
        '-----BEGIN NATS USER JWT-----',
        jwt,
        '------END NATS USER JWT------',
        '',
        '-----BEGIN USER NKEY SEED-----',
        seed,
        '------END USER NKEY SEED------',
        '',
      ].join('\n');
      return { creds, publicKey: user.getPublicKey() };
    },
  };
}

function signJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ typ: 'JWT', alg: 'ed25519-nkey' });
  const claims = encode({
    jti: randomBytes(16).toString('hex').toUpperCase(),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  });
  const signature = Buffer.from(issuer.sign(new TextEncoder().encode(`${header}.${claims}`))).toString('base64url');
  return `${header}.${claims}.${signature}`;
}
