import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedDestination } from './destination-guard';

/** Tuning of the keep-alive agents. */
export interface AgentPoolOptions {
  /** Agents kept (one per origin and pinned address); the least recently used beyond this is retired. Default 512. */
  maxAgents?: number;
  /** Concurrent sockets per agent. Default unlimited, like Node's global agent. */
  maxSocketsPerAgent?: number;
  /**
   * An idle keep-alive socket is closed after this long. Default 4 s: below the 5 s idle timeout
   * of Node servers (and far below nginx's 75 s), so we rarely reuse a socket the server is closing.
   */
  idleSocketTimeoutMs?: number;
}

/**
 * Keep-alive agents, one per (scheme, host, port, checked address). Each agent's sockets can
 * only ever reach the address it was created for: its `lookup` answers with that address and
 * never asks DNS, while the Host header and the TLS server name keep the original host name.
 * Keying by address means a DNS change or an allow-list change never reuses a socket to an
 * address that was not checked for this attempt.
 */
export class AgentPool {
  private readonly agents = new Map<string, HttpAgent>();
  private readonly byDestination = new WeakMap<CheckedDestination, { key: string }>();
  private readonly maxAgents: number;

  constructor(private readonly options: AgentPoolOptions = {}) {
    this.maxAgents = options.maxAgents ?? 512;
  }

  /** The agent to use for a checked destination. */
  agentFor(dest: CheckedDestination): HttpAgent {
    // Cached IP-literal destinations come back as the same object: skip building the key.
    const remembered = this.byDestination.get(dest);
    const key = remembered?.key ?? `${dest.url.protocol}//${dest.url.host}|${dest.address}`;
    let agent = this.agents.get(key);
    if (agent) {
      // Re-insert so Map order is least-recently-used first.
      this.agents.delete(key);
      this.agents.set(key, agent);
    } else {
      agent = this.create(dest);
      this.agents.set(key, agent);
      if (this.agents.size > this.maxAgents) this.retireOldest();
    }
    if (!remembered) this.byDestination.set(dest, { key });
    return agent;
  }

  /** Number of live agents. */
  get size(): number {
    return this.agents.size;
  }

  /** Closes every socket of every agent (shutdown and tests). */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private create(dest: CheckedDestination): HttpAgent {
    const options = {
      keepAlive: true,
      scheduling: 'lifo' as const,
      maxSockets: this.options.maxSocketsPerAgent ?? Infinity,
      timeout: this.options.idleSocketTimeoutMs ?? 4_000,
      lookup: pinnedLookup(dest.address, dest.family),
      // Happy-eyeballs would call lookup for several families; there is exactly one address.
      autoSelectFamily: false,
    };
    return dest.url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
  }

  private retireOldest(): void {
    // The first entry is the least recently used agent.
    const [key, agent] = this.agents.entries().next().value as [string, HttpAgent];
    this.agents.delete(key);
    // Close idle sockets now; sockets busy with a request finish it and then time out idle.
    for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
  }
}

/** A lookup that answers every query with the one address the guard already checked. */
export function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/** The process-wide pool used when DeliverOptions.agents is not given. */
export const defaultAgentPool = new AgentPool();
