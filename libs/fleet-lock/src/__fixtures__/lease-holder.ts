/**
 * A lock holder in its own process, for tests that SIGSTOP/SIGCONT or SIGKILL it.
 * Env: NATS_URL (comma-separated) and the other NATS_* connection settings, LOCK_NAMESPACE,
 * LOCK_LEASE_MS, LOCK_HOLDER.
 * Prints JSON lines: {event:'acquired'|'busy'|'status'|'lost', t (wall ms), ...}.
 */
import { z } from 'zod';
import { loadConfig, natsSchema } from '@lockstep/config';
import { FleetLock } from '@lockstep/fleet-lock';
import { connectNats } from '@lockstep/messaging';

const print = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, t: Date.now() })}\n`);

async function main(): Promise<void> {
  const nc = await connectNats(loadConfig('lease-holder', z.object(natsSchema)), {
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
  const lock = await FleetLock.open(nc, process.env.LOCK_NAMESPACE!, {
    holder: process.env.LOCK_HOLDER ?? `child-${process.pid}`,
    leaseMs: Number(process.env.LOCK_LEASE_MS ?? 1500),
  });
  const result = await lock.acquire('rollout-child', {
    onLost: (lost) => print({ event: 'lost', code: lost.code, message: lost.message }),
  });
  if (!result.acquired) {
    print({ event: 'busy', heldBy: result.heldBy });
    await nc.close();
    return;
  }
  const lease = result.lease;
  print({ event: 'acquired', token: lease.token });
  // What a conductor does before every command: ask whether it still holds the lock.
  setInterval(() => print({ event: 'status', held: lease.isHeld(), token: lease.token }), 50);
  process.once('SIGTERM', () => void lease.release().finally(() => nc.close().finally(() => process.exit(0))));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
