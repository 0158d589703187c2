/** Where the CLI writes: stdout for results, stderr for warnings and errors. Tests capture both. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal: live views redraw in place (ANSI cursor movement) instead of printing a line per change. */
  isTty?: boolean;
  /** Terminal width, when stdout is a terminal (live views cut their lines to it). */
  columns?: number;
}

/** The process's real streams. */
export const processIo = (): CliIo => ({
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY),
  columns: process.stdout.columns,
});

/** One column of a table: a header and how to get the cell text from a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
  /** Right-align (numbers). */
  align?: 'left' | 'right';
}

const cellText = (v: string | number | boolean | null | undefined): string =>
  (v === null || v === undefined || v === '' ? '-' : String(v)).replace(/\s*\n\s*/g, ' ');

/** Renders rows as a plain-text table with a header, columns separated by two spaces, one line per row (no trailing newline). */
export function renderTableLines<T>(columns: Column<T>[], rows: readonly T[]): string[] {
  const cells = rows.map((r) => columns.map((c) => cellText(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) =>
        columns[i].align === 'right' ? v.padStart(widths[i]) : i === values.length - 1 ? v : v.padEnd(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

/** A table as text ending in a newline; `empty` when there are no rows. */
export function renderTable<T>(columns: Column<T>[], rows: readonly T[], empty: string): string {
  if (rows.length === 0) return `${empty}\n`;
  return `${renderTableLines(columns, rows).join('\n')}\n`;
}

/** `key: value` lines, keys aligned. */
export function renderFields(fields: Array<[string, string | number | boolean | null | undefined]>): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${cellText(v)}`).join('\n') + '\n';
}

/** Pretty JSON with a trailing newline, for `--json`. */
export const toJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** `2026-01-02 03:04:05Z` (UTC, seconds), or `-`. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `35 ms`, `1.2 s`, `2.0 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** How long ago `iso` was relative to `now`: `4s ago`, `3m ago`, `2h ago`, `5d ago` (`in 9s` for the future), or `-`. */
export function formatAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const ms = now - t;
  const abs = Math.abs(ms);
  const text =
    abs < 60_000
      ? `${Math.floor(abs / 1000)}s`
      : abs < 3_600_000
        ? `${Math.floor(abs / 60_000)}m`
        : abs < 86_400_000
          ? `${Math.floor(abs / 3_600_000)}h`
          : `${Math.floor(abs / 86_400_000)}d`;
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}

/** One compact JSON line, for streams of `--json` records (JSON Lines). */
export const toJsonLine = (value: unknown): string => `${JSON.stringify(value)}\n`;

/** Cuts text to `max` characters, marking the cut with an ellipsis. */
export const truncate = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
