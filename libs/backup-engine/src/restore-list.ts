/** One entry of `pg_restore --list --verbose`: `<dumpId>; <catalog oid> <oid> <DESC> <schema> <tag...> <owner>`. */
interface TocEntry {
  /** Index of the entry's line in the listing. */
  line: number;
  id: string;
  /** The rest of the line after the oids, e.g. `TABLE DATA public audit_log postgres`. */
  text: string;
  dependsOn: string[];
}

const ENTRY = /^(\d+); \d+ \d+ (.*)$/;
const DEPENDS = /^;\s*depends on:\s*([\d ]+)$/;

/**
 * Turns the listing of a dump (`pg_restore --list --verbose`, which names each entry's
 * dependencies) into a `--use-list` file that leaves `tables` out with everything that hangs on
 * them: their TABLE, TABLE DATA, constraints, indexes, triggers, sequences, defaults and foreign
 * keys (entries that depend on a left-out entry), and the trigger functions only those
 * triggers use (a `--clean` restore would otherwise try to drop a function a live trigger
 * still needs). Left-out entries are commented out (`;`), which pg_restore skips.
 *
 * `tables` are schema-qualified (`public.audit_log`). Returns the list and the tables that the
 * dump actually held.
 */
export function leaveTablesOut(listing: string, tables: readonly string[]): { list: string; leftOut: string[] } {
  const lines = listing.split('\n');
  const entries: TocEntry[] = [];
  for (const [i, line] of lines.entries()) {
    const entry = ENTRY.exec(line);
    if (entry) {
      entries.push({ line: i, id: entry[1], text: entry[2], dependsOn: [] });
      continue;
    }
    const deps = DEPENDS.exec(line);
    if (deps && entries.length > 0) entries[entries.length - 1].dependsOn.push(...deps[1].trim().split(/\s+/));
  }
  const out = new Set<string>();
  const leftOut: string[] = [];
  for (const e of entries) {
    const table = /^TABLE (\S+) (\S+) /.exec(e.text);
    const name = table && `${table[1]}.${table[2]}`;
    if (name && tables.includes(name)) {
      out.add(e.id);
      leftOut.push(name);
    }
  }
  const byId = new Map(entries.map((e) => [e.id, e]));
  const keptDependents = (id: string) => entries.some((e) => !out.has(e.id) && e.dependsOn.includes(id));
  const spread = () => {
    // everything built on a left-out entry goes with it (a dump lists dependencies first, but loop to be sure)
    for (let grew = true; grew;) {
      grew = false;
      for (const e of entries)
        if (!out.has(e.id) && e.dependsOn.some((d) => out.has(d))) {
          out.add(e.id);
          grew = true;
        }
    }
  };
  spread();
  // what left-out entries stand on but a --clean restore would drop under the live tables: a sequence owned
  // by their column (SEQUENCE OWNED BY depends on it), a trigger function that no restored entry uses
  for (const e of entries.filter((x) => out.has(x.id) && /^(TRIGGER|SEQUENCE OWNED BY) /.test(x.text)))
    for (const d of e.dependsOn) {
      const dep = byId.get(d);
      if (dep && /^SEQUENCE /.test(dep.text)) out.add(d);
      if (dep && /^FUNCTION /.test(dep.text) && !keptDependents(d)) out.add(d);
    }
  spread();
  for (const e of entries) if (out.has(e.id)) lines[e.line] = `;${lines[e.line]}`;
  return { list: lines.join('\n'), leftOut: leftOut.sort() };
}
