/** Marker appended to cut text. */
export const ELLIPSIS = '…';

/**
 * Cuts `text` to at most `max` UTF-16 code units (what Slack and Discord count, or more
 * conservative), ending with an ellipsis when cut, never splitting a surrogate pair.
 */
export function truncateText(text: string, max: number, ellipsis = ELLIPSIS): string {
  if (text.length <= max) return text;
  if (max <= ellipsis.length) return ellipsis.slice(0, Math.max(0, max));
  let end = max - ellipsis.length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end).trimEnd() + ellipsis;
}

/** Escapes the three characters Slack mrkdwn reserves. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes for Slack mrkdwn and then cuts to `max`, backing off so an entity such as `&amp;` is
 * never cut in half (escaping first keeps the limit exact).
 */
export function slackText(text: string, max: number): string {
  const escaped = escapeSlack(text);
  if (escaped.length <= max) return escaped;
  let cut = truncateText(escaped, max);
  const body = cut.slice(0, -ELLIPSIS.length);
  const amp = body.lastIndexOf('&');
  if (amp >= 0 && amp > body.length - 5 && !body.slice(amp).includes(';')) cut = body.slice(0, amp) + ELLIPSIS;
  return cut;
}

/** A value shown in a field: chat APIs reject empty strings, so absent values read as an em dash. */
export function orDash(value: string | null | undefined): string {
  return value === null || value === undefined || value.trim() === '' ? '—' : value;
}
