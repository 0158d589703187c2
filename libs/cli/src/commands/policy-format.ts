import { stringify } from 'yaml';
import {
  UpdatePolicyV1,
  type ComponentPolicyView,
  type PolicyApplyResult,
  type PolicyChangeView,
  type PolicyView,
} from '@lockstep/contracts';
import { formatTime } from '../output';

const valueText = (v: unknown): string =>
  v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v);

/** One line per difference: `  path: from → to`. */
export function formatPolicyChanges(changes: PolicyChangeView[]): string {
  return changes.map((c) => `  ${c.path}: ${valueText(c.from)} → ${valueText(c.to)}\n`).join('');
}

/** Which revision is in force, who applied it and when. */
export function describeRevision(p: Pick<PolicyView, 'revision' | 'appliedAt' | 'appliedBy'>): string {
  return p.revision === 0
    ? 'the built-in default (revision 0: nothing installs on its own)'
    : `revision ${p.revision} (applied ${formatTime(p.appliedAt)} by ${p.appliedBy})`;
}

/** `policy get`: the policy file in force, behind a comment saying which revision it is (a comment: the output applies as is). */
export function formatPolicyGet(view: PolicyView): string {
  return `# Update policy in force: ${describeRevision(view)}.\n# Edit it and apply it with: lockstep policy apply -f FILE\n${view.yaml}`;
}

/** `policy get --component C`: the component's policy in force, as YAML in the file's field order. */
export function formatComponentPolicy(view: ComponentPolicyView): string {
  const whence = view.overridden ? 'the defaults with its overrides' : 'the defaults (it has no overrides)';
  return `# In force for ${view.component} (policy revision ${view.revision}): ${whence}.\n${stringify(UpdatePolicyV1.parse(view.policy), { lineWidth: 0 })}`;
}

/** `<what> changes N fields:` and the changes; nothing when there are none. */
export function formatChanges(what: string, changes: PolicyChangeView[]): string {
  if (changes.length === 0) return '';
  const n = changes.length === 1 ? '1 field' : `${changes.length} fields`;
  return `${what} changes ${n}:\n${formatPolicyChanges(changes)}`;
}

/** What a file is about to change in the policy in force, printed before it is sent. */
export function formatPendingChanges(what: string, inForce: PolicyView, changes: PolicyChangeView[]): string {
  return changes.length === 0 ? '' : `in force: ${describeRevision(inForce)}\n${formatChanges(what, changes)}`;
}

/** The outcome of an apply or set. */
export function formatApplyOutcome(what: string, result: PolicyApplyResult): string {
  if (result.changes.length === 0)
    return `no change: ${what} is what is in force already (${describeRevision(result.policy)}); nothing was applied\n`;
  if (!result.applied)
    return `dry run: nothing was applied; run it again without --dry-run to apply ${result.changes.length === 1 ? 'this change' : 'these changes'}\n`;
  return `applied: the policy in force is now ${describeRevision(result.policy)}\n`;
}
