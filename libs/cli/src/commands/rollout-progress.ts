import type { RolloutDetail, RolloutNodeView } from '@lockstep/contracts';
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

/** One bar of a live view: what it tracks, how far it is, what it is doing. */
export interface ProgressRow {
  id: string;
  percent: number;
  activity: string;
}

/** A snapshot as the live views draw it: a header (terminal), a state line (logs) and one bar per row. */
export interface ProgressFrame {
  /** First line of the terminal view. */
  header: string;
  /** Printed once per change in line mode: the overall state (and why). */
  state: string;
  rows: ProgressRow[];
}

/** Turns a snapshot of what is followed (a rollout, a backup operation) into a frame. */
export type FrameOf<T> = (snapshot: T) => ProgressFrame;

/** `node-1  [#########-----]  62%  health_check`: the id padded to `idWidth`, the percentage right-aligned. */
export function barLine(row: ProgressRow, idWidth: number, maxActivity = 200): string {
  return `${row.id.padEnd(idWidth)}  ${renderBar(row.percent)} ${`${Math.round(row.percent)}%`.padStart(4)}  ${truncate(row.activity, maxActivity)}`;
}

/** `rollout 0b9f3c1e  upgrade demo → 1.1.0  running  2/5 nodes done`. */
export function headerLine(r: RolloutDetail): string {
  const done = r.counts.succeeded + r.counts.failed + r.counts.rolledBack;
  return `rollout ${r.id.slice(0, 8)}  ${r.kind} ${r.component} → ${r.targetVersion}  ${r.state}${r.state === 'paused' && r.reason ? ` (${r.reason})` : ''}  ${done}/${r.counts.total} nodes done`;
}

/** A rollout as a frame: its header, its state (and reason), one bar per node. */
export const rolloutFrame: FrameOf<RolloutDetail> = (r) => ({
  header: headerLine(r),
  state: `rollout ${r.id} ${r.state}${r.reason ? `: ${r.reason}` : ''}`,
  rows: r.nodes.map((n) => ({ id: n.nodeId, percent: n.percent, activity: nodeActivity(n) })),
});

/** Shows successive snapshots of what is followed (a rollout unless said otherwise). */
export interface ProgressRenderer<T = RolloutDetail> {
  update(snapshot: T): void;
}

const idWidth = (f: ProgressFrame): number => Math.max(0, ...f.rows.map((r) => r.id.length));
// The renderers draw rollouts unless given another FrameOf; the default is typed for that case.
const defaultFrame = <T>(): FrameOf<T> => rolloutFrame as unknown as FrameOf<T>;

/**
 * On a terminal: a header and one bar per row, redrawn in place (cursor up over the last
 * frame, clear to the end of the screen, draw). Lines are kept short so they never wrap,
 * which would throw off the cursor arithmetic.
 */
export class TtyProgress<T = RolloutDetail> implements ProgressRenderer<T> {
  private lines = 0;
  private last = '';

  private readonly columns: number;

  constructor(
    private readonly write: (text: string) => void,
    /** Terminal width; unknown or 0 (some pseudo-terminals) means 100. */
    columns?: number,
    private readonly frameOf: FrameOf<T> = defaultFrame<T>(),
  ) {
    this.columns = columns && columns > 0 ? columns : 100;
  }

  update(snapshot: T): void {
    const f = this.frameOf(snapshot);
    const w = idWidth(f);
    const fit = (line: string) => truncate(line, Math.max(20, this.columns - 1));
    const frame = [f.header, ...f.rows.map((r) => barLine(r, w))].map(fit);
    const text = frame.join('\n');
    if (text === this.last) return;
    this.last = text;
    const up = this.lines > 0 ? `\x1b[${this.lines}A\r\x1b[0J` : '';
    this.write(`${up}${text}\n`);
    this.lines = frame.length;
  }
}

/** Not a terminal (a log, a pipe): one line per change — the overall state, or a row's progress. */
export class LineProgress<T = RolloutDetail> implements ProgressRenderer<T> {
  private state?: string;
  private readonly rows = new Map<string, string>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly frameOf: FrameOf<T> = defaultFrame<T>(),
  ) {}

  update(snapshot: T): void {
    const f = this.frameOf(snapshot);
    const out: string[] = [];
    if (f.state !== this.state) {
      out.push(f.state);
      this.state = f.state;
    }
    const w = idWidth(f);
    for (const r of f.rows) {
      const key = `${Math.round(r.percent)}|${r.activity}`;
      if (this.rows.get(r.id) === key) continue;
      this.rows.set(r.id, key);
      out.push(barLine(r, w));
    }
    if (out.length) this.write(`${out.join('\n')}\n`);
  }
}

/** `--json`: every changed snapshot as one JSON line (JSON Lines). */
export class JsonProgress<T = RolloutDetail> implements ProgressRenderer<T> {
  private last = '';

  constructor(private readonly write: (text: string) => void) {}

  update(snapshot: T): void {
    const line = toJsonLine(snapshot);
    if (line === this.last) return;
    this.last = line;
    this.write(line);
  }
}
