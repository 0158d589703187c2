import {
  ApprovalDecided,
  ApprovalView,
  ApproveUpdateBody,
  ComponentNameParam,
  CreateHoldBody,
  HoldView,
  listOf,
  RejectUpdateBody,
  ReleaseHoldQuery,
  ReleaseVersionParam,
} from '@lockstep/contracts';
import type { RouteDoc } from './openapi.document';

const releasePath = { component: ComponentNameParam, version: ReleaseVersionParam };

/** Approvals and holds: operators' decisions the automatic-update engine reads. */
export const UPDATE_DECISION_ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/updates/approvals',
    operationId: 'listApprovals',
    summary: 'Approvals the automatic-update engine asked for and operators decided: pending first, then newest',
    status: 200,
    response: listOf(ApprovalView),
  },
  {
    method: 'post',
    path: '/v1/updates/{component}/{version}/approve',
    operationId: 'approveUpdate',
    summary:
      'Approve a release the checker announced (audited): it goes out in its next maintenance window. 404 names the known versions; a rejection it overturns is answered as replaced',
    pathParams: releasePath,
    body: ApproveUpdateBody,
    status: 200,
    response: ApprovalDecided,
    errors: [404],
  },
  {
    method: 'post',
    path: '/v1/updates/{component}/{version}/reject',
    operationId: 'rejectUpdate',
    summary:
      'Reject a release the checker announced, saying why (audited): nothing installs it automatically. An approval it overturns is answered as replaced',
    pathParams: releasePath,
    body: RejectUpdateBody,
    status: 200,
    response: ApprovalDecided,
    errors: [404],
  },
  {
    method: 'get',
    path: '/v1/holds',
    operationId: 'listHolds',
    summary: 'Live holds: components (or versions) that nothing installs automatically, why, since when, by whom',
    status: 200,
    response: listOf(HoldView),
  },
  {
    method: 'post',
    path: '/v1/holds',
    operationId: 'createHold',
    summary:
      'Hold a component, or one version, so nothing installs it automatically (audited, announced as update.held); 409 HOLD_EXISTS when a live hold covers the same',
    body: CreateHoldBody,
    status: 201,
    response: HoldView,
    errors: [404, 409],
  },
  {
    method: 'delete',
    path: '/v1/holds/{component}',
    operationId: 'releaseHold',
    summary: 'Release the live hold on a component (or, with version, on one version) (audited); 404 when none',
    pathParams: { component: ComponentNameParam },
    query: ReleaseHoldQuery,
    status: 200,
    response: HoldView,
    errors: [404],
  },
];
