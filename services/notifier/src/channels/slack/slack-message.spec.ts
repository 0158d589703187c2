import type { EventSummary } from '../event-summary';
import { checkFailedEvent, releaseEvent } from '@lockstep/testing';
import { summarizeEvent } from '../event-summary';
import { renderSlackMessage, SlackLimits, type SlackBlock } from './slack-message';

const hugeSummary = (): EventSummary => ({
  title: 'T'.repeat(500),
  fallback: 'F'.repeat(10_000),
  fields: Array.from({ length: 600 }, (_v, i) => ({ label: `Field ${i}`, value: `<${'v'.repeat(5000)}>` })),
  body: { label: 'Notes', text: '&'.repeat(5000), format: 'markdown' },
  context: Array.from({ length: 20 }, (_v, i) => `ctx ${i}`),
  severity: 'info',
  time: '2025-03-01T12:00:00.000Z',
});

const textsOf = (block: SlackBlock): string[] =>
  block.type === 'header'
    ? [block.text.text]
    : block.type === 'context'
      ? block.elements.map((e) => e.text)
      : [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((f) => f.text)];

describe(renderSlackMessage.name, () => {
  it('renders a release as header, fields, notes and context with a text fallback', () => {
    const sut = renderSlackMessage(summarizeEvent(releaseEvent()));

    expect(sut.text).toBe('api 1.4.0 is available (minor, stable, running 1.3.2)');
    expect(sut.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(sut.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'api 1.4.0 is available', emoji: true },
    });
    expect(textsOf(sut.blocks[1])).toContain('*Component*\napi');
    expect(textsOf(sut.blocks[2])[0]).toBe('*Release notes*\n## Changes\n- faster &lt;startup&gt; &amp; less memory');
  });

  it('renders check.failed with the reason', () => {
    const sut = renderSlackMessage(summarizeEvent(checkFailedEvent()));

    expect(textsOf(sut.blocks[2])[0]).toMatch(/^\*Reason\*\ntimestamp\.json expired/);
  });

  it('stays within every Block Kit limit for oversized input', () => {
    const sut = renderSlackMessage(hugeSummary());

    const header = sut.blocks[0];
    const sections = sut.blocks.filter((b): b is Extract<SlackBlock, { type: 'section' }> => b.type === 'section');
    const context = sut.blocks.at(-1) as Extract<SlackBlock, { type: 'context' }>;
    expect(sut.blocks.length).toBeLessThanOrEqual(SlackLimits.blocks);
    expect(header.type === 'header' && header.text.text.length).toBeLessThanOrEqual(SlackLimits.headerText);
    expect(sut.text.length).toBeLessThanOrEqual(SlackLimits.fallbackText);
    for (const s of sections) {
      expect(s.fields?.length ?? 0).toBeLessThanOrEqual(SlackLimits.sectionFields);
      for (const f of s.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SlackLimits.fieldText);
      expect(s.text?.text.length ?? 0).toBeLessThanOrEqual(SlackLimits.sectionText);
    }
    expect(context.type).toBe('context');
    expect(context.elements.length).toBeLessThanOrEqual(SlackLimits.contextElements);
    expect(sections.at(-1)?.text?.text).toMatch(/^\*Notes\*\n(&amp;)+…$/);
  });
});
