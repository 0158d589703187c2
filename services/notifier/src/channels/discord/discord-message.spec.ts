import type { EventSummary } from '../event-summary';
import { otherEvent, releaseEvent } from '@lockstep/testing';
import { summarizeEvent } from '../event-summary';
import { DiscordColors, DiscordLimits, embedLength, renderDiscordMessage } from './discord-message';

describe(renderDiscordMessage.name, () => {
  it('renders a release as one embed that never pings anyone', () => {
    const sut = renderDiscordMessage(summarizeEvent(releaseEvent({ security: true, notes: 'fixes @everyone CVE' })));

    const [embed] = sut.embeds;
    expect(sut.allowed_mentions).toEqual({ parse: [] });
    expect(embed.title).toBe('Security release: api 1.4.0 is available');
    expect(embed.color).toBe(DiscordColors.critical);
    expect(embed.fields).toContainEqual({ name: 'Flags', value: 'security', inline: true });
    expect(embed.description).toBe('**Release notes**\nfixes @everyone CVE');
    expect(embed.footer?.text).toBe('Lockstep release.available · source /lockstep/checker · event evt-release-1');
    expect(embed.timestamp).toBe('2025-03-01T12:00:00.000Z');
  });

  it('renders unknown events with their data in a code block that cannot be closed early', () => {
    const sut = renderDiscordMessage(summarizeEvent(otherEvent({ text: '```evil' })));

    expect(sut.embeds[0].description).toMatch(/^\*\*Data\*\*\n```json\n[\s\S]*`\u200b``evil[\s\S]*\n```$/);
  });

  it.each([
    ['long notes', { notes: 'n'.repeat(20_000) }],
    ['long names', { component: 'c'.repeat(2000), version: 'v'.repeat(2000) }],
  ])('keeps every per-field limit with %s', (_name, data) => {
    const sut = renderDiscordMessage(summarizeEvent(releaseEvent(data)), {
      content: 'x'.repeat(3000),
      username: 'u'.repeat(200),
    });

    const [embed] = sut.embeds;
    expect(embed.title.length).toBeLessThanOrEqual(DiscordLimits.title);
    expect(embed.description?.length ?? 0).toBeLessThanOrEqual(DiscordLimits.description);
    for (const f of embed.fields) {
      expect(f.name.length).toBeLessThanOrEqual(DiscordLimits.fieldName);
      expect(f.value.length).toBeLessThanOrEqual(DiscordLimits.fieldValue);
    }
    expect(sut.content?.length).toBeLessThanOrEqual(DiscordLimits.content);
    expect(sut.username?.length).toBeLessThanOrEqual(DiscordLimits.username);
    expect(embedLength(embed)).toBeLessThanOrEqual(DiscordLimits.total);
  });

  it('fits the 6000 total by shortening the description first, then dropping trailing fields', () => {
    const summary: EventSummary = {
      title: 't'.repeat(300),
      fallback: 'f',
      fields: Array.from({ length: 40 }, (_v, i) => ({ label: `name ${i}`, value: 'v'.repeat(2000) })),
      body: { label: 'Notes', text: 'n'.repeat(5000), format: 'markdown' },
      context: ['c'.repeat(3000)],
      severity: 'warning',
      time: '2025-03-01T12:00:00.000Z',
    };

    const sut = renderDiscordMessage(summary);

    const [embed] = sut.embeds;
    expect(sut.embeds.length).toBeLessThanOrEqual(DiscordLimits.embeds);
    expect(embed.fields.length).toBeLessThan(DiscordLimits.fields);
    expect(embed.description).toBeUndefined();
    expect(embedLength(embed)).toBeLessThanOrEqual(DiscordLimits.total);
    expect(embed.footer?.text.length).toBe(DiscordLimits.footerText);
  });

  it('gives the description only what the total leaves', () => {
    const summary: EventSummary = {
      title: 'title',
      fallback: 'f',
      fields: Array.from({ length: 4 }, (_v, i) => ({ label: `n${i}`, value: 'v'.repeat(1000) })),
      body: { label: 'Notes', text: 'n'.repeat(5000), format: 'markdown' },
      context: ['ctx'],
      severity: 'info',
      time: '2025-03-01T12:00:00.000Z',
    };

    const sut = renderDiscordMessage(summary);

    expect(sut.embeds[0].fields).toHaveLength(4);
    expect(sut.embeds[0].description?.endsWith('…')).toBe(true);
    expect(embedLength(sut.embeds[0])).toBe(DiscordLimits.total);
  });
});
