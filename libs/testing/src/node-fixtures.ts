import type { NodeRecordV1 } from '@lockstep/contracts';

// Builders of node heartbeat records, as agents write them into the node bucket.

/** A node's heartbeat record, idle and seen at 2026-01-01, running `components`. */
export function nodeRecord(
  id: string,
  components: Record<string, string>,
  over: Partial<NodeRecordV1> = {},
): NodeRecordV1 {
  return {
    id,
    hostname: id,
    labels: {},
    components,
    manages: Object.keys(components),
    agentVersion: '1',
    seenAt: '2026-01-01T00:00:00Z',
    state: 'idle',
    ...over,
  };
}

/** A node as the node directory lists it: its record, and whether it is lost. */
export const nodeEntry = (
  id: string,
  components: Record<string, string>,
  lost = false,
): { record: NodeRecordV1; lost: boolean } => ({ record: nodeRecord(id, components), lost });
