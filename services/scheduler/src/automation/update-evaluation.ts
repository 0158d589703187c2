import {
  decide,
  formatInZone,
  releaseClass,
  type Channel,
  type DecisionResult,
  type MaintenanceWindowSpecV1,
  type PolicyHold,
  type UpdateClass,
  type Requirements,
  type UpdatePolicyV1,
} from '@lockstep/contracts';
import { windowAt } from '@lockstep/scheduling';
import {
  channelAccepts,
  classifyCandidate,
  findCycle,
  formatCycle,
  getScheme,
  requirementGraph,
  unmetRequirements,
  type RunningComponent,
} from '@lockstep/versioning';

/** A component as automatic updates see it. */
export interface ComponentFacts {
  name: string;
  scheme: string;
  currentVersion: string | null;
  /** What it needs of other components (its registration): component → version range. */
  requires: Requirements;
}

/** A release the checker announced. */
export interface ReleaseFacts {
  version: string;
  channel: Channel;
  security: boolean;
  hotfix: boolean;
  breaking: boolean;
  /** When it was announced; its age counts from here. */
  publishedAt: Date;
  /** What this release needs of other components (its signed metadata), over the registration's. */
  requires: Requirements;
}

/** A stored maintenance window. */
export interface WindowFacts {
  name: string;
  spec: MaintenanceWindowSpecV1;
  /** Components it covers; empty: only those whose policy names it. */
  components: string[];
  /** The node group it covers: labels a node must have (empty: every node). */
  nodeLabels: Record<string, string>;
}

/** A schedule run that is due now and not yet recorded. */
export interface DueRun {
  key: string;
  scheduleName: string;
  dueAt: Date;
  timezone: string;
  /** Components covered; empty: every component. */
  components: string[];
  /** Update classes covered; empty: every class. */
  classes: UpdateClass[];
}

/** What the policy decided for one release, with what an automatic rollout of it needs. */
export interface EvaluatedRelease extends DecisionResult {
  component: string;
  version: string;
  currentVersion: string | null;
  cls: UpdateClass;
  publishedAt: Date;
  /** The open window it installs in (install-now through a window). */
  window?: WindowFacts;
  /** The schedule run it installs in (install-now through a schedule). */
  run?: DueRun;
  /** What installing it needs of other components: the registration's requirements and the release's. */
  requires: Requirements;
}

export interface ComponentEvaluationInput {
  component: ComponentFacts;
  releases: readonly ReleaseFacts[];
  policy: UpdatePolicyV1;
  /** Every enabled window; those that apply to the component are picked here. */
  windows: readonly WindowFacts[];
  holds: readonly PolicyHold[];
  approvals: ReadonlyMap<string, 'pending' | 'approved' | 'rejected'>;
  dueRuns: readonly DueRun[];
  /** What every registered component runs now, for requirements. */
  running: ReadonlyMap<string, RunningComponent>;
  /** What the other components, as they run now, require of this one (see dependantsOf). */
  requiredBy?: ReadonlyArray<{ component: string; range: string }>;
  now: Date;
}

/**
 * For each component, what the others require of it as they run now: their registration's
 * requirements and those of the release each runs (when the checker announced it).
 */
export function dependantsOf(
  components: readonly ComponentFacts[],
  releasesOf: ReadonlyMap<string, readonly ReleaseFacts[]>,
): Map<string, Array<{ component: string; range: string }>> {
  const out = new Map<string, Array<{ component: string; range: string }>>();
  for (const d of components) {
    const runs = releasesOf.get(d.name)?.find((r) => r.version === d.currentVersion);
    for (const [needed, range] of Object.entries({ ...d.requires, ...runs?.requires }))
      out.set(needed, [...(out.get(needed) ?? []), { component: d.name, range }]);
  }
  return out;
}

/** The windows a component's automatic updates wait for: those its policy names and those that name it. */
export function windowsOf(component: string, policy: UpdatePolicyV1, windows: readonly WindowFacts[]): WindowFacts[] {
  return windows.filter((w) => policy.windows.includes(w.name) || w.components.includes(component));
}

/** The component's windows merged at `now`: open if one is, else the earliest next opening. */
export function mergedWindow(
  windows: readonly WindowFacts[],
  now: Date,
): { open: boolean; opensAt: Date | null; zone: string; window?: WindowFacts } | undefined {
  if (windows.length === 0) return undefined;
  const states = windows.map((w) => ({ w, s: windowAt(w.spec, now) }));
  const open = states.find((x) => x.s.open);
  if (open) return { open: true, opensAt: open.s.opensAt, zone: open.w.spec.timezone, window: open.w };
  const next = states.filter((x) => x.s.opensAt).sort((a, b) => a.s.opensAt!.getTime() - b.s.opensAt!.getTime())[0];
  return next
    ? { open: false, opensAt: next.s.opensAt, zone: next.w.spec.timezone }
    : { open: false, opensAt: null, zone: windows[0].spec.timezone };
}

const covers = (run: DueRun, component: string, cls: UpdateClass) =>
  (run.components.length === 0 || run.components.includes(component)) &&
  (run.classes.length === 0 || run.classes.includes(cls));

/**
 * Every release newer than what the component runs (on a channel its policy follows, in its
 * version scheme), newest first, with the policy's decision. A due schedule run that covers the
 * component and the release's class opens the way for a release that waits for a window.
 */
export function evaluateComponent(input: ComponentEvaluationInput): EvaluatedRelease[] {
  const { component, policy, now } = input;
  const scheme = getScheme(component.scheme);
  const current =
    component.currentVersion !== null && scheme.isValid(component.currentVersion) ? component.currentVersion : null;
  const window = mergedWindow(windowsOf(component.name, policy, input.windows), now);
  return input.releases
    .filter((r) => scheme.isValid(r.version))
    .filter((r) => current === null || scheme.compare(r.version, current) > 0)
    .filter((r) => channelAccepts(policy.channel, r.channel, scheme.isPrerelease(r.version)))
    .sort((a, b) => scheme.compare(b.version, a.version))
    .map((r) => {
      const { kind } = classifyCandidate({ scheme, current, candidate: r });
      const release = { version: r.version, kind, security: r.security, hotfix: r.hotfix, publishedAt: r.publishedAt };
      const cls = releaseClass(release);
      const requires = { ...component.requires, ...r.requires };
      const base = {
        component: component.name,
        version: r.version,
        currentVersion: current,
        cls,
        publishedAt: r.publishedAt,
        requires,
      };
      const result = decide({
        release,
        runningVersion: current,
        policy,
        now,
        holds: input.holds,
        approval: input.approvals.get(r.version),
        window,
      });
      if (result.decision !== 'install-now' && result.decision !== 'wait-window') return { ...base, ...result };
      // the policy would install it (now or in a window): what it needs of others must run first
      const unmet = unmetRequirements(requires, input.running);
      if (unmet.length)
        return {
          ...base,
          decision: 'wait-dependency' as const,
          reason: `waits for ${unmet.map((u) => u.component).join(', ')}: ${unmet.map((u) => u.reason).join('; ')}`,
        };
      // and it must not break what the others, as they run, need of it
      const breaks = (input.requiredBy ?? []).filter(
        (d) =>
          unmetRequirements(
            { [component.name]: d.range },
            new Map([[component.name, { version: r.version, scheme: component.scheme }]]),
          ).length > 0,
      );
      if (breaks.length)
        return {
          ...base,
          decision: 'wait-dependency' as const,
          reason: `waits: ${breaks.map((d) => `${d.component} as it runs needs ${component.name} ${d.range}`).join('; ')}; update ${breaks.map((d) => d.component).join(', ')} to a release that accepts ${r.version} first, or upgrade by hand`,
        };
      // installing through the open window (not `immediate`): an automatic rollout keeps to it
      if (result.decision === 'install-now')
        return { ...base, ...result, ...(policy.classes[cls] !== 'immediate' ? { window: window?.window } : {}) };
      const run = input.dueRuns.find((x) => covers(x, component.name, cls));
      if (run)
        return {
          ...base,
          decision: 'install-now' as const,
          reason: `installing now: schedule ${run.scheduleName} runs at ${formatInZone(run.dueAt, run.timezone)}`,
          run,
        };
      return { ...base, ...result };
    });
}

/**
 * Across components: releases whose requirements, with the registrations', form a cycle cannot
 * be ordered; each of them waits, and says which cycle to break. Only releases the policy would
 * install are looked at (the others are not going anywhere).
 */
export function refuseCycles(
  evaluated: EvaluatedRelease[],
  registrations: ReadonlyArray<Pick<ComponentFacts, 'name' | 'requires'>>,
): EvaluatedRelease[] {
  const moving = evaluated.filter((e) => e.decision === 'install-now' || e.decision === 'wait-dependency');
  const graph = requirementGraph(
    registrations.map((c): [string, Requirements] => [c.name, c.requires]),
    moving.map((e): [string, Requirements] => [e.component, e.requires]),
  );
  const cycle = findCycle(graph);
  if (!cycle) return evaluated;
  const reason = `waits: the requirements form a cycle ${formatCycle(cycle)}; change a component's --requires or publish a release without it`;
  return evaluated.map((e) =>
    cycle.includes(e.component) && moving.includes(e)
      ? { ...e, decision: 'wait-dependency' as const, reason, run: undefined, window: undefined }
      : e,
  );
}

/**
 * The releases to start now, in the order to try them: a release another one requires comes
 * before it (a dependant then waits for that rollout: the cluster runs one at a time, and its
 * requirement is unmet until it succeeded); among those free to go, one a due schedule run
 * covers first (the run is recorded with what it started), then newest first per component.
 */
export function installOrder(evaluated: readonly EvaluatedRelease[]): EvaluatedRelease[] {
  const remaining = evaluated.filter((e) => e.decision === 'install-now');
  const out: EvaluatedRelease[] = [];
  while (remaining.length) {
    const ready = remaining.filter(
      (a) => !remaining.some((b) => b.component !== a.component && Object.hasOwn(a.requires, b.component)),
    );
    if (!ready.length) break; // a cycle: refuseCycles has held those back already
    const next = ready.find((e) => e.run) ?? ready[0];
    out.push(next);
    remaining.splice(remaining.indexOf(next), 1);
  }
  return out;
}
