import { Severity, type EventSummary } from '../event-summary';
import { orDash, truncateText } from '../text-limits';

/** Discord webhook message limits this renderer stays within (characters unless noted). */
export const DiscordLimits = {
  content: 2000,
  /** embeds per message (count). */
  embeds: 10,
  title: 256,
  description: 4096,
  /** fields per embed (count). */
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  username: 80,
  /** title + description + field names and values + footer + author, over all embeds. */
  total: 6000,
} as const;

/** Embed colours by severity. */
export const DiscordColors: Record<Severity, number> = {
  [Severity.Info]: 0x3b82f6,
  [Severity.Warning]: 0xf59e0b,
  [Severity.Critical]: 0xdc2626,
};

/** One embed field. */
export interface DiscordField {
  name: string;
  value: string;
  inline?: boolean;
}

/** The embed this renderer emits. */
export interface DiscordEmbed {
  title: string;
  description?: string;
  color: number;
  fields: DiscordField[];
  footer?: { text: string };
  /** ISO 8601. */
  timestamp?: string;
}

/** Body of an execute-webhook POST. */
export interface DiscordMessage {
  content?: string;
  username?: string;
  avatar_url?: string;
  embeds: DiscordEmbed[];
  /** Always `{ parse: [] }`: text from release notes must never ping @everyone or roles. */
  allowed_mentions: { parse: never[] };
}

/** Optional presentation settings from the target. */
export interface DiscordRenderOptions {
  content?: string;
  username?: string;
  avatarUrl?: string;
}

/**
 * Renders a summary as one embed within DiscordLimits. The description (notes, reason, data) gets
 * whatever the 6000-character total leaves after title, fields and footer; should those alone
 * exceed it, trailing fields and then the footer are dropped.
 */
export function renderDiscordMessage(summary: EventSummary, options: DiscordRenderOptions = {}): DiscordMessage {
  const embed: DiscordEmbed = {
    title: truncateText(orDash(summary.title), DiscordLimits.title),
    color: DiscordColors[summary.severity],
    fields: summary.fields.slice(0, DiscordLimits.fields).map((f) => ({
      name: truncateText(orDash(f.label), DiscordLimits.fieldName),
      value: truncateText(orDash(f.value), DiscordLimits.fieldValue),
      inline: f.value.length <= 40,
    })),
    footer: summary.context.length
      ? { text: truncateText(summary.context.join(' · '), DiscordLimits.footerText) }
      : undefined,
    timestamp: summary.time,
  };
  if (summary.body)
    embed.description = describe(
      summary.body,
      Math.min(DiscordLimits.description, DiscordLimits.total - embedLength(embed)),
    );
  fitTotal(embed);
  return {
    content: options.content ? truncateText(options.content, DiscordLimits.content) : undefined,
    username: options.username ? truncateText(options.username, DiscordLimits.username) : undefined,
    avatar_url: options.avatarUrl,
    embeds: [embed],
    allowed_mentions: { parse: [] },
  };
}

/** Characters Discord counts towards the 6000 total. */
export function embedLength(embed: DiscordEmbed): number {
  let n = embed.title.length + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0);
  for (const f of embed.fields) n += f.name.length + f.value.length;
  return n;
}

/** The body as a description of at most `max` characters, or undefined when too little room is left. */
function describe(body: NonNullable<EventSummary['body']>, max: number): string | undefined {
  const label = `**${body.label}**\n`;
  const [open, close] = body.format === 'code' ? ['```json\n', '\n```'] : ['', ''];
  const room = max - label.length - open.length - close.length;
  if (room < 32) return undefined;
  // A ``` inside a code block would end it early; a zero-width space keeps it literal.
  const text = body.format === 'code' ? body.text.replace(/```/g, '`\u200b``') : body.text;
  return label + open + truncateText(orDash(text), room) + close;
}

/** Drops trailing fields, then the footer, until the embed fits the total (only needed for huge field sets). */
function fitTotal(embed: DiscordEmbed): void {
  while (embedLength(embed) > DiscordLimits.total && embed.fields.length > 0) embed.fields.pop();
  if (embedLength(embed) > DiscordLimits.total) embed.footer = undefined;
}
