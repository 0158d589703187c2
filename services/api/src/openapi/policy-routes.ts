import {
  ComponentNameParam,
  ComponentPolicyView,
  PatchPolicyBody,
  PolicyApplyResult,
  PolicyView,
  PutPolicyBody,
} from '@lockstep/contracts';
import type { RouteDoc } from './openapi.document';

/** The update policy: read it, apply a whole file, set one field. */
export const POLICY_ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/policy',
    operationId: 'getPolicy',
    summary:
      'The update policy in force with its revision (0: the built-in default, nothing installs on its own), as a document and as the YAML policy file',
    status: 200,
    response: PolicyView,
  },
  {
    method: 'get',
    path: '/v1/policy/components/{name}',
    operationId: 'getComponentPolicy',
    summary: 'The policy in force for one component: the defaults with its overrides on top',
    pathParams: { name: ComponentNameParam },
    status: 200,
    response: ComponentPolicyView,
  },
  {
    method: 'put',
    path: '/v1/policy',
    operationId: 'applyPolicy',
    summary:
      'Apply a whole policy file (YAML text or JSON): validated (400 POLICY_FILE_INVALID lists every problem, with its line for YAML), compared with what is in force, stored as the next revision with its audit record; with dryRun or when nothing differs, nothing is stored; 409 POLICY_REVISION_CONFLICT when expectedRevision is no longer the one in force',
    body: PutPolicyBody,
    status: 200,
    response: PolicyApplyResult,
    errors: [409],
  },
  {
    method: 'patch',
    path: '/v1/policy',
    operationId: 'setPolicyField',
    summary:
      'Set one field of the policy (e.g. defaults.classes.patch, components.api.minimumReleaseAge; null removes a component override); the whole result is validated, diffed and audited like an apply',
    body: PatchPolicyBody,
    status: 200,
    response: PolicyApplyResult,
    errors: [409],
  },
];
