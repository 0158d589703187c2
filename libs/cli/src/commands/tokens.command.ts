import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  CreateTokenBody,
  formatIssues,
  ROLES,
  type ListOf,
  type TokenCreated,
  type TokenView,
} from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo, formatTime, renderTable } from '../output';
import { checkToken, readTokenFile, saveToken } from '../token-store';

interface CreateOptions {
  name: string;
  role: string;
  components?: string;
  expires?: string;
}

/** `lockstep tokens create|list|revoke`: API tokens (owner only). */
export function registerTokens(program: Command, ctx: CliContext): void {
  const tokens = program
    .command('tokens')
    .description('API tokens: create (shown once), list, revoke; needs an owner token');
  tokens
    .command('create')
    .description('issue a token; it is printed once, store it now (lockstep login --token-file saves one)')
    .requiredOption('--name <name>', 'a name people recognise in tokens list and the audit trail')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--components <a,b>', 'narrow the token to these components')
    .option('--expires <lifetime>', 'lifetime like 12h, 90d or 52w (default: until revoked)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<CreateOptions>(cmd);
      const body = createBody(o);
      const created = await ctx.api(cmd).post<TokenCreated>('/v1/tokens', body);
      ctx.print(
        cmd,
        created,
        () =>
          `created token ${created.id} (${created.name}, ${created.role}${created.components ? ` for ${created.components.join(', ')}` : ''}${created.expiresAt ? `, expires ${formatTime(created.expiresAt)}` : ''}):\n${created.token}\nIt is shown this once; store it now (e.g. lockstep login --token-file FILE).\n`,
      );
    });
  tokens
    .command('list', { isDefault: true })
    .description('every token with role, components, expiry, revocation and last use (never the token itself)')
    .action(async (_o: unknown, cmd: Command) => {
      const list = await ctx.api(cmd).get<ListOf<TokenView>>('/v1/tokens');
      ctx.print(cmd, list, () => formatTokens(list.items, ctx.now()));
    });
  tokens
    .command('revoke <id>')
    .description('revoke a token: from now on the API refuses it with 401')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      if (!/^[0-9a-f]{16}$/.test(id))
        throw new UsageError(`"${id}" is not a token id (16 hex digits, as \`lockstep tokens list\` shows it)`);
      const revoked = await ctx.api(cmd).delete<TokenView>(`/v1/tokens/${id}`);
      ctx.print(cmd, revoked, () => `revoked token ${revoked.id} (${revoked.name}); the API refuses it from now on\n`);
    });
}

/** `lockstep login --token-file F | --token T`: saves the token (mode 0600) for later commands. */
export function registerLogin(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description(
      'check an API token against the API, then save it for later commands (file mode 0600 in your config directory)',
    )
    .option('--token-file <file>', 'read the token from this file (e.g. the bootstrap token file)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<{ tokenFile?: string }>(cmd);
      const token = loginToken(o.tokenFile, o.token);
      // Any valid token may read the components: a token the API refuses is never saved.
      await ctx.apiWithToken(cmd, token).get('/v1/components');
      const file = saveToken(token, ctx.env);
      ctx.print(cmd, { saved: file }, () => `saved the token to ${file} (mode 0600); later commands send it\n`);
    });
}

function loginToken(tokenFile: string | undefined, token: string | undefined): string {
  if (tokenFile && token) throw new UsageError('give either --token-file or --token, not both');
  if (token) return checkToken(token, '--token');
  if (!tokenFile) throw new UsageError('give the token with --token-file FILE (or --token lst_...)');
  if (!existsSync(tokenFile)) throw new UsageError(`token file ${tokenFile} does not exist`);
  return readTokenFile(tokenFile);
}

function createBody(o: CreateOptions): CreateTokenBody {
  const parsed = CreateTokenBody.safeParse({
    name: o.name,
    role: o.role,
    components: o.components
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    expires: o.expires,
  });
  if (!parsed.success)
    throw new UsageError(`invalid token: ${formatIssues(parsed.error, { schema: CreateTokenBody })}`);
  return parsed.data;
}

/** Tokens as a table, newest first. */
export function formatTokens(items: TokenView[], now: number): string {
  return renderTable(
    [
      { header: 'ID', value: (t) => t.id },
      { header: 'NAME', value: (t) => t.name },
      { header: 'ROLE', value: (t) => t.role },
      { header: 'COMPONENTS', value: (t) => (t.components ? t.components.join(',') : 'all') },
      { header: 'CREATED', value: (t) => formatTime(t.createdAt) },
      { header: 'EXPIRES', value: (t) => (t.expiresAt ? formatTime(t.expiresAt) : 'never') },
      { header: 'LAST USED', value: (t) => (t.lastUsedAt ? formatAgo(t.lastUsedAt, now) : 'never') },
      {
        header: 'STATE',
        value: (t) => (t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= now ? 'expired' : 'active'),
      },
    ],
    items,
    'no tokens',
  );
}
