import { Injectable } from '@nestjs/common';
import {
  ApiErrorCode,
  releaseHoldCommand,
  type ApprovalDecided,
  type ApprovalDecision,
  type ApprovalView,
  type AuditActor,
  type CreateHoldBody,
  type HoldView,
} from '@lockstep/contracts';
import type { ActiveHold, ApprovalRecord, HoldRecord } from '@lockstep/persistence';
import { ApiError } from '../http/api-error';
import { UpdateDecisionsRepository } from './update-decisions.repository';

/** At most this many versions are named when refusing an unknown one. */
const KNOWN_SHOWN = 10;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** `every version` or `version 1.2.0`: what a hold covers, in messages. */
const covers = (version: string | null | undefined): string => (version ? `version ${version}` : 'every version');

export const toApprovalView = (a: ApprovalRecord): ApprovalView => ({
  component: a.component,
  version: a.version,
  state: a.state,
  requestedAt: iso(a.requestedAt),
  decidedAt: iso(a.decidedAt),
  decidedBy: a.decidedBy,
  reason: a.reason,
});

export const toHoldView = (h: HoldRecord | ActiveHold): HoldView => ({
  id: h.id,
  component: h.component,
  version: h.version ?? null,
  reason: h.reason,
  automatic: h.automatic,
  createdAt: h.createdAt.toISOString(),
  createdBy: h.createdBy,
  releasedAt: 'releasedAt' in h ? iso(h.releasedAt) : null,
  releasedBy: 'releasedBy' in h ? h.releasedBy : null,
});

/**
 * Operators' decisions about automatic updates: approving or rejecting a release the checker
 * announced, and holding a component (or one version) so nothing installs it automatically.
 * The automatic-update engine reads them; every change is audited.
 */
@Injectable()
export class UpdateDecisionsService {
  constructor(private readonly repo: UpdateDecisionsRepository) {}

  /** Approvals asked for and decided: pending first, then decisions newest first. */
  async approvals(): Promise<ApprovalView[]> {
    return (await this.repo.approvals()).map(toApprovalView);
  }

  /**
   * Approves or rejects a release. 404 when the checker never announced it (the message names
   * the versions it did); a decision the other way is replaced and answered as `replaced`.
   */
  async decide(
    component: string,
    version: string,
    state: ApprovalDecision,
    reason: string,
    actor: AuditActor,
  ): Promise<ApprovalDecided> {
    const known = await this.repo.announcedVersions(component);
    if (!known.includes(version)) {
      const named = known.length
        ? `known versions of ${component}: ${known.slice(0, KNOWN_SHOWN).join(', ')}${known.length > KNOWN_SHOWN ? `, … (${known.length} in all; lockstep releases --component ${component})` : ''}`
        : `no release of ${component} has been announced (is the component registered? lockstep components; check it now with lockstep check ${component})`;
      throw ApiError.notFound(`the checker never announced ${component} ${version}, so it cannot be decided; ${named}`);
    }
    const { approval, previous } = await this.repo.decide({
      component,
      version,
      state,
      reason,
      actor,
      at: this.repo.now(),
    });
    const overturned = previous && previous.state !== 'pending' && previous.state !== state ? previous : null;
    return { approval: toApprovalView(approval), replaced: overturned && toApprovalView(overturned) };
  }

  /** Live holds, oldest first. */
  async holds(): Promise<HoldView[]> {
    return (await this.repo.holds()).map(toHoldView);
  }

  /** Holds a component (or one version). 404 for a component not registered, 409 HOLD_EXISTS when a live hold covers the same. */
  async hold(body: CreateHoldBody, actor: AuditActor): Promise<HoldView> {
    const components = await this.repo.componentNames();
    if (!components.includes(body.component))
      throw ApiError.notFound(
        `component ${body.component} is not registered; ${components.length ? `known components: ${components.join(', ')}` : 'none is registered yet (lockstep components add)'}`,
      );
    const version = body.version ?? null;
    const outcome = await this.repo.hold({
      component: body.component,
      version,
      reason: body.reason,
      automatic: false,
      actor,
      at: this.repo.now(),
    });
    if ('created' in outcome) return toHoldView(outcome.created);
    const e = outcome.existing;
    throw new ApiError(
      409,
      ApiErrorCode.HoldExists,
      `${body.component} (${covers(version)}) is already held since ${e.createdAt.toISOString()} by ${e.createdBy}${e.automatic ? ' (automatically)' : ''}: ${e.reason}. To change the reason, release it first (${releaseHoldCommand(body.component, version)}) and hold it again`,
    );
  }

  /** Releases the live hold on a component (or one version); 404 when there is none. */
  async releaseHold(component: string, version: string | undefined, actor: AuditActor): Promise<HoldView> {
    const released = await this.repo.releaseHold({ component, version: version ?? null, actor, at: this.repo.now() });
    if (!released) {
      const live = (await this.repo.holds()).filter((h) => h.component === component);
      const others = live.length
        ? `its live holds cover ${live.map((h) => covers(h.version)).join(', ')}${live.some((h) => h.version) ? ' (name one with --version)' : ''}`
        : 'it has no live hold (lockstep holds lists them)';
      throw ApiError.notFound(`${component} has no live hold on ${covers(version)}; ${others}`);
    }
    return toHoldView(released);
  }
}
