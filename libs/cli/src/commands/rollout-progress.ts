import type { RolloutDetailView, RolloutNodeView } from '../api-types';
import { toJsonLine, truncate } from '../output';

/** Characters inside a progress bar's brackets. */
export const BAR_WIDTH = 14;

/** `[#########-----]` for 62%. */
export function renderBar(percent: number, width = BAR_WIDTH): string {
  const p = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
  const filled = Math.round((p / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** What a node is doing, in a few words: its install step while it works, its outcome (and why) when done. */
export function nodeActivity(n: RolloutNodeView): string {
  switch (n.status) {
    case 'pending':
      return 'waiting';
    case 'installing':
      return n.step ?? 'command sent';
    case 'reverting':
      return `reverting${n.step ? `: ${n.step}` : ''}`;
    default:
      return n.error ? `${n.status}: ${n.error}` : n.status;
  }
}

/** `node-1  [#########-----]  62%  health_check`: the id padded to `idWidth`, the percentage right-aligned. */
export function progressLine(n: RolloutNodeView, idWidth: number, maxActivity = 200): string {
  return `${n.nodeId.padEnd(idWidth)}  ${renderBar(n.percent)} ${`${Math.round(n.percent)}%`.padStart(4)}  ${truncate(nodeActivity(n), maxActivity)}`;
}

/** `rollout 0b9f3c1e  upgrade demo → 1.1.0  running  2/5 nodes done`. */
export function headerLine(r: RolloutDetailView): string {
  const done = r.counts.succeeded + r.counts.failed + r.counts.rolledBack;
  return `rollout ${r.id.slice(0, 8)}  ${r.kind} ${r.component} → ${r.targetVersion}  ${r.state}${r.state === 'paused' && r.reason ? ` (${r.reason})` : ''}  ${done}/${r.counts.total} nodes done`;
}

/** Shows successive snapshots of a rollout. */
export interface ProgressRenderer {
  update(snapshot: RolloutDetailView): void;
}

const idWidth = (r: RolloutDetailView): number => Math.max(0, ...r.nodes.map((n) => n.nodeId.length));

/**
 * On a terminal: a header and one bar per node, redrawn in place (cursor up over the last
 * frame, clear to the end of the screen, draw). Lines are kept short so they never wrap,
 * which would throw off the cursor arithmetic.
 */
export class TtyProgress implements ProgressRenderer {
  private lines = 0;
  private last = '';

  private readonly columns: number;

  constructor(
    private readonly write: (text: string) => void,
    /** Terminal width; unknown or 0 (some pseudo-terminals) means 100. */
    columns?: number,
  ) {
    this.columns = columns && columns > 0 ? columns : 100;
  }

  update(r: RolloutDetailView): void {
    const w = idWidth(r);
    const fit = (line: string) => truncate(line, Math.max(20, this.columns - 1));
    const frame = [headerLine(r), ...r.nodes.map((n) => progressLine(n, w))].map(fit);
    const text = frame.join('\n');
    if (text === this.last) return;
    this.last = text;
    const up = this.lines > 0 ? `\x1b[${this.lines}A\r\x1b[0J` : '';
    this.write(`${up}${text}\n`);
    this.lines = frame.length;
  }
}

/** Not a terminal (a log, a pipe): one line per change — the rollout's state, or a node's progress. */
export class LineProgress implements ProgressRenderer {
  private state?: string;
  private readonly nodes = new Map<string, string>();

  constructor(private readonly write: (text: string) => void) {}

  update(r: RolloutDetailView): void {
    const out: string[] = [];
    if (r.state !== this.state) {
      out.push(`rollout ${r.id} ${r.state}${r.reason ? `: ${r.reason}` : ''}`);
      this.state = r.state;
    }
    const w = idWidth(r);
    for (const n of r.nodes) {
      const key = `${n.status}|${n.step}|${n.percent}|${n.error}`;
      if (this.nodes.get(n.nodeId) === key) continue;
      this.nodes.set(n.nodeId, key);
      out.push(progressLine(n, w));
    }
    if (out.length) this.write(`${out.join('\n')}\n`);
  }
}

/** `--json`: every changed snapshot as one JSON line (JSON Lines). */
export class JsonProgress implements ProgressRenderer {
  private last = '';

  constructor(private readonly write: (text: string) => void) {}

  update(r: RolloutDetailView): void {
    const line = toJsonLine(r);
    if (line === this.last) return;
    this.last = line;
    this.write(line);
  }
}
