import { Injectable } from '@nestjs/common';
import {
  ApiErrorCode,
  diffPolicies,
  effectivePolicy,
  formatPolicyFile,
  parsePolicyFile,
  PolicyFileError,
  setPolicyField,
  validatePolicyDocument,
  type AuditActor,
  type ComponentPolicyView,
  type PatchPolicyBody,
  type PolicyApplyResult,
  type PolicyChangeView,
  type PolicyFileV1,
  type PolicyView,
  type PutPolicyBody,
} from '@lockstep/contracts';
import type { PolicyInForce } from '@lockstep/persistence';
import { ApiError } from '../http/api-error';
import { PolicyRepository, type PolicyDecision } from './policy.repository';

/** Audit actions of policy changes. */
export const PolicyAuditAction = {
  /** A whole policy file applied (`lockstep policy apply -f`). */
  Apply: 'policy.apply',
  /** One field set (`lockstep policy set`). */
  Set: 'policy.set',
} as const;

/** The audit target of every policy change: there is one policy per control plane. */
const POLICY_TARGET = 'update-policy';

/** The policy in force as the API shows it. */
export const toPolicyView = (p: PolicyInForce): PolicyView => ({
  revision: p.revision,
  appliedAt: p.appliedAt ? p.appliedAt.toISOString() : null,
  appliedBy: p.appliedBy,
  document: p.document,
  yaml: formatPolicyFile(p.document),
});

/** A change as JSON carries it: an absent side is left out rather than undefined. */
const toChangeView = (c: { path: string; from: unknown; to: unknown }): PolicyChangeView => ({
  path: c.path,
  ...(c.from === undefined ? {} : { from: c.from }),
  ...(c.to === undefined ? {} : { to: c.to }),
});

/** A policy that does not validate: 400 with every problem (and its line, for YAML). */
function validated(check: () => PolicyFileV1): PolicyFileV1 {
  try {
    return check();
  } catch (err) {
    if (err instanceof PolicyFileError)
      throw new ApiError(400, ApiErrorCode.PolicyInvalid, err.message, { cause: err });
    throw err;
  }
}

/** The update policy: what is in force, and applying a whole file or one field (validated, diffed, audited). */
@Injectable()
export class PolicyService {
  constructor(private readonly repo: PolicyRepository) {}

  async get(): Promise<PolicyView> {
    return toPolicyView(await this.repo.current());
  }

  /** The policy in force for one component: the defaults with its overrides on top. */
  async component(name: string): Promise<ComponentPolicyView> {
    const current = await this.repo.current();
    return {
      component: name,
      revision: current.revision,
      policy: effectivePolicy(current.document, name),
      overridden: Object.hasOwn(current.document.components, name),
    };
  }

  /** Applies a whole policy file (YAML or JSON); see {@link change}. */
  apply(body: PutPolicyBody, by: AuditActor): Promise<PolicyApplyResult> {
    const next = validated(() =>
      body.yaml !== undefined ? parsePolicyFile(body.yaml) : validatePolicyDocument(body.document),
    );
    return this.change(() => next, body, PolicyAuditAction.Apply, {}, by);
  }

  /** Sets one field; the resulting whole policy must validate. See {@link change}. */
  set(body: PatchPolicyBody, by: AuditActor): Promise<PolicyApplyResult> {
    return this.change(
      (current) => validated(() => validatePolicyDocument(setPolicyField(current.document, body.path, body.value))),
      body,
      PolicyAuditAction.Set,
      { path: body.path, value: body.value },
      by,
    );
  }

  /**
   * Compares the policy `nextOf` makes with the one in force and, unless it is a dry run or
   * nothing differs, stores it as the next revision with its audit record (params: the revision
   * and the changes) in one transaction. Refused with 409 when `expectedRevision` is not the
   * revision in force: someone applied another policy since the caller read it.
   */
  private change(
    nextOf: (current: PolicyInForce) => PolicyFileV1,
    o: { expectedRevision?: number; dryRun?: boolean },
    action: string,
    params: Record<string, unknown>,
    by: AuditActor,
  ): Promise<PolicyApplyResult> {
    const dryRun = o.dryRun ?? false;
    return this.repo.change((current): PolicyDecision<PolicyApplyResult> => {
      if (o.expectedRevision !== undefined && o.expectedRevision !== current.revision)
        throw new ApiError(
          409,
          ApiErrorCode.PolicyRevisionConflict,
          `the policy changed since revision ${o.expectedRevision}: revision ${current.revision} was applied${current.appliedBy ? ` by ${current.appliedBy}` : ''}${current.appliedAt ? ` at ${current.appliedAt.toISOString()}` : ''}; nothing was applied: run the command again to see the difference with what is in force now`,
        );
      const next = nextOf(current);
      const changes = diffPolicies(current.document, next).map(toChangeView);
      if (dryRun || changes.length === 0)
        return { result: { changes, applied: false, dryRun, policy: toPolicyView(current) } };
      const write = { revision: current.revision + 1, document: next, appliedAt: this.repo.now(), appliedBy: by.name };
      return {
        result: { changes, applied: true, dryRun, policy: toPolicyView(write) },
        write: {
          ...write,
          audit: {
            actor: by,
            action,
            target: POLICY_TARGET,
            params: { revision: write.revision, ...params, changes },
            at: write.appliedAt,
          },
        },
      };
    });
  }
}
