import { CONTROL_PLANE_ORIGIN, contractFor, deadLetterSubject, NodeId, NodeSubjects } from '@lockstep/contracts';
import { CommandPublishers, EventPublishers } from '@lockstep/messaging';

const contractSubjects = new Set([...Object.keys(EventPublishers), ...Object.keys(CommandPublishers)]);

/**
 * Where a re-drive may publish a dead letter again (relative to the namespace), or null. The
 * original subject (from the dead letter's header) must be a known contract subject, a per-node
 * wire subject of a per-node event (`<subject>.<nodeId>`, or `._control` where the control plane
 * publishes it) or a node's install command; and the dead letter's own subject must be
 * `dlq.<that contract subject>` or `dlq.<that wire subject>`. A re-drive publishes under the
 * scheduler's user, which may publish every event and command, so neither a header nor a
 * prefix-match is believed: `dlq.evt` must not stand for any event.
 */
export function redriveTarget(dlqSubject: string, original: string): string | null {
  if (dlqSubject === deadLetterSubject(original) && isPublishable(original)) return original;
  const lastDot = original.lastIndexOf('.');
  const contract = original.slice(0, lastDot);
  if (lastDot > 0 && dlqSubject === deadLetterSubject(contract) && isPerNodeWire(contract, original.slice(lastDot + 1)))
    return original;
  return null;
}

function isPublishable(subject: string): boolean {
  if (contractSubjects.has(subject)) return true;
  const lastDot = subject.lastIndexOf('.');
  if (lastDot > 0 && isPerNodeWire(subject.slice(0, lastDot), subject.slice(lastDot + 1))) return true;
  const node = /^cmd\.node\.([^.]+)\.install\.v1$/.exec(subject)?.[1];
  return node !== undefined && NodeId.safeParse(node).success && NodeSubjects.install(node) === subject;
}

function isPerNodeWire(contract: string, origin: string): boolean {
  const perNode = contractSubjects.has(contract) ? contractFor(contract)?.perNode : undefined;
  if (!perNode) return false;
  return origin === CONTROL_PLANE_ORIGIN ? perNode.controlPlane === true : NodeId.safeParse(origin).success;
}
