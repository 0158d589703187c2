import { Option, type Command } from 'commander';
import type { ListOf, SubscriptionViewV1, SubscriptionUpsertReplyV1 } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { renderFields, renderTable } from '../output';

/** Notification channels the notifier knows. */
export const SUBSCRIPTION_CHANNELS = ['webhook', 'slack', 'discord'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws a usage error unless `id` looks like a subscription id. */
export function checkSubscriptionId(id: string): string {
  if (!UUID.test(id))
    throw new UsageError(`"${id}" is not a subscription id; ids are UUIDs, see \`lockstep subscriptions\``);
  return id.toLowerCase();
}

/** Splits `release.available, check.*` into filters; empty means every event. */
export function parseEvents(value: string | undefined): string[] {
  const events = (value ?? '*')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (events.length === 0) throw new UsageError('--events needs at least one event name, prefix (release.*) or *');
  return events;
}

interface AddOptions {
  channel: string;
  url: string;
  name?: string;
  events?: string;
  secret?: string;
}

/** The request body of `subscriptions add`: target `{ url, secrets? }`, name defaulting to channel and host. */
export function buildSubscriptionBody(o: AddOptions): {
  name: string;
  channel: string;
  target: Record<string, unknown>;
  eventTypes: string[];
} {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new UsageError(`--url "${o.url}" is not a URL; e.g. https://hooks.example.com/lockstep`);
  }
  if (o.secret !== undefined && o.channel !== 'webhook')
    throw new UsageError('--secret applies to --channel webhook only (Slack and Discord URLs carry their own token)');
  if (o.secret !== undefined && !/^whsec_[A-Za-z0-9+/=]+$/.test(o.secret))
    throw new UsageError('--secret must look like whsec_<base64>; omit it and the notifier generates one');
  return {
    name: o.name ?? `${o.channel} ${url.host}`,
    channel: o.channel,
    target: { url: o.url, ...(o.secret ? { secrets: [o.secret] } : {}) },
    eventTypes: parseEvents(o.events),
  };
}

/** `lockstep subscriptions [list]|add|rm|enable|disable`. */
export function registerSubscriptions(program: Command, ctx: CliContext): void {
  const subs = program
    .command('subscriptions')
    .description('where the notifier sends events (webhooks, Slack, Discord)');
  subs
    .command('list', { isDefault: true })
    .description('list subscriptions (secrets and URL tokens masked)')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.api(cmd).get<ListOf<SubscriptionViewV1>>('/v1/subscriptions');
      ctx.print(cmd, items, () => formatSubscriptions(items));
    });

  subs
    .command('add')
    .description('subscribe an endpoint; a webhook without --secret gets a generated one, shown once')
    .addOption(
      new Option('--channel <channel>', 'notification channel')
        .choices([...SUBSCRIPTION_CHANNELS])
        .makeOptionMandatory(),
    )
    .requiredOption('--url <url>', 'endpoint URL (Slack/Discord: the incoming webhook URL)')
    .option('--name <name>', 'display name (default: channel and host)')
    .option('--events <filters>', 'comma-separated event filters: release.available, check.*, *', '*')
    .option('--secret <whsec>', 'webhook signing secret to use instead of a generated one')
    .action(async (_o: unknown, cmd: Command) => {
      const body = buildSubscriptionBody(ctx.options<AddOptions>(cmd));
      const created = await ctx.api(cmd).post<SubscriptionUpsertReplyV1>('/v1/subscriptions', body);
      ctx.print(cmd, created, () => formatSubscriptionCreated(created));
    });

  subs
    .command('rm <id>')
    .description('delete a subscription')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const sid = checkSubscriptionId(id);
      await ctx.api(cmd).delete(`/v1/subscriptions/${sid}`);
      ctx.print(cmd, { id: sid, deleted: true }, () => `deleted subscription ${sid}\n`);
    });

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    subs
      .command(`${verb} <id>`)
      .description(
        enabled
          ? 'resume deliveries to a subscription'
          : 'stop deliveries to a subscription (kept, can be enabled again)',
      )
      .action(async (id: string, _o: unknown, cmd: Command) => {
        const sid = checkSubscriptionId(id);
        const { subscription } = await ctx
          .api(cmd)
          .patch<SubscriptionUpsertReplyV1>(`/v1/subscriptions/${sid}`, { enabled });
        ctx.print(
          cmd,
          subscription,
          () => `${enabled ? 'enabled' : 'disabled'} subscription ${subscription.id} (${subscription.name})\n`,
        );
      });
  }
}

export function formatSubscriptions(items: SubscriptionViewV1[]): string {
  return renderTable(
    [
      { header: 'ID', value: (s) => s.id },
      { header: 'NAME', value: (s) => s.name },
      { header: 'CHANNEL', value: (s) => s.channel },
      { header: 'URL', value: (s) => s.url },
      { header: 'EVENTS', value: (s) => s.eventTypes.join(',') },
      {
        header: 'STATE',
        value: (s) => (s.enabled ? 'enabled' : `disabled${s.disabledReason ? `: ${s.disabledReason}` : ''}`),
      },
    ],
    items,
    'no subscriptions; add one with `lockstep subscriptions add --channel webhook --url URL`',
  );
}

/** The creation summary; the generated secret is the one secret the CLI ever prints. */
export function formatSubscriptionCreated(r: SubscriptionUpsertReplyV1): string {
  const s = r.subscription;
  const text = `created subscription ${s.id}\n${renderFields([
    ['name', s.name],
    ['channel', s.channel],
    ['url', s.url],
    ['events', s.eventTypes.join(', ')],
    ['secrets', s.secretCount],
  ])}`;
  if (!r.generatedSecret) return text;
  return `${text}\nsigning secret (shown only now; store it where the receiver verifies signatures):\n${r.generatedSecret}\n`;
}
