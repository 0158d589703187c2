import { CreateTokenBody, listOf, TokenCreated, TokenId, TokenView } from '@lockstep/contracts';
import type { RouteDoc } from './openapi.document';

/** API tokens: issue (shown once), list (never the secret), revoke. */
export const TOKEN_ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/tokens',
    operationId: 'listTokens',
    summary: 'API tokens with role, components, expiry, revocation and last use (never the token or its hash)',
    status: 200,
    response: listOf(TokenView),
  },
  {
    method: 'post',
    path: '/v1/tokens',
    operationId: 'createToken',
    summary:
      'Issue a token with a role, optionally narrowed to components and with a lifetime; the token is shown once',
    body: CreateTokenBody,
    status: 201,
    response: TokenCreated,
  },
  {
    method: 'delete',
    path: '/v1/tokens/{id}',
    operationId: 'revokeToken',
    summary: 'Revoke a token: from now on it is refused with 401 (409 for the last owner token)',
    pathParams: { id: TokenId },
    status: 200,
    response: TokenView,
    errors: [404, 409],
  },
];
