import type { EventSummary } from '../event-summary';
import { orDash, slackText, truncateText } from '../text-limits';

/** Slack Block Kit limits this renderer stays within (characters unless noted). */
export const SlackLimits = {
  /** header block plain_text. */
  headerText: 150,
  /** section block text. */
  sectionText: 3000,
  /** fields per section block (count). */
  sectionFields: 10,
  /** each section field. */
  fieldText: 2000,
  /** blocks per message (count). */
  blocks: 50,
  /** elements per context block (count). */
  contextElements: 10,
  /** top-level `text` fallback; Slack allows far more, notifications show only a line. */
  fallbackText: 3000,
} as const;

/** A Block Kit text object. */
export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

/** The blocks this renderer emits. */
export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

/** Body of an incoming-webhook POST. */
export interface SlackMessage {
  /** Fallback for notifications and screen readers. */
  text: string;
  blocks: SlackBlock[];
}

/**
 * Renders a summary as Block Kit: a header, field sections (10 fields each), a section for the
 * body (notes, reason or data) and a context block, all escaped for mrkdwn and cut to SlackLimits.
 * Release notes are passed through as mrkdwn: Slack shows most Markdown legibly, not identically.
 */
export function renderSlackMessage(summary: EventSummary): SlackMessage {
  const header: SlackBlock = {
    type: 'header',
    text: { type: 'plain_text', text: truncateText(orDash(summary.title), SlackLimits.headerText), emoji: true },
  };
  const sections: SlackBlock[] = [];
  const tail: SlackBlock[] = [];

  for (let i = 0; i < summary.fields.length; i += SlackLimits.sectionFields) {
    const fields = summary.fields.slice(i, i + SlackLimits.sectionFields).map((f): SlackText => {
      const label = `*${slackText(f.label, 100)}*\n`;
      return { type: 'mrkdwn', text: label + slackText(orDash(f.value), SlackLimits.fieldText - label.length) };
    });
    sections.push({ type: 'section', fields });
  }

  if (summary.body) {
    const label = `*${slackText(summary.body.label, 100)}*\n`;
    const [open, close] = summary.body.format === 'code' ? ['```\n', '\n```'] : ['', ''];
    const room = SlackLimits.sectionText - label.length - open.length - close.length;
    tail.push({
      type: 'section',
      text: { type: 'mrkdwn', text: label + open + slackText(orDash(summary.body.text), room) + close },
    });
  }

  const context = [...summary.context, summary.time].slice(0, SlackLimits.contextElements);
  tail.push({
    type: 'context',
    elements: context.map((c) => ({ type: 'mrkdwn', text: slackText(c, SlackLimits.sectionText) })),
  });

  return {
    text: slackText(orDash(summary.fallback), SlackLimits.fallbackText),
    // Field sections give way first so the body and context always fit.
    blocks: [header, ...sections.slice(0, SlackLimits.blocks - 1 - tail.length), ...tail],
  };
}
