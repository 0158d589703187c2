/** A JSON object (not an array, not null). */
export type JsonObject = { [key: string]: unknown };

/** True for a JSON object: not null, not an array. */
export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What merging a release's defaults into the operator's config did. */
export interface ConfigMergeResult {
  /** The merged config. */
  config: JsonObject;
  /** Dotted paths of the keys that were added from the defaults. */
  added: string[];
}

/**
 * Merges a release's `config.defaults.json` into the operator's `shared/config.json`: keys
 * the operator lacks are added (recursively inside objects present on both sides); every value
 * the operator has is kept as it is, even when its type differs from the default's. Keys only
 * the operator has stay. Neither input is modified.
 */
export function mergeConfigDefaults(defaults: JsonObject, operator: JsonObject): ConfigMergeResult {
  const added: string[] = [];
  const merge = (d: JsonObject, o: JsonObject, prefix: string): JsonObject => {
    const out: Array<[string, unknown]> = Object.entries(o);
    for (const [key, value] of Object.entries(d)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (!Object.hasOwn(o, key)) {
        out.push([key, structuredClone(value)]);
        added.push(path);
        continue;
      }
      const mine = o[key];
      if (isJsonObject(value) && isJsonObject(mine)) {
        const at = out.findIndex(([k]) => k === key);
        out[at] = [key, merge(value, mine, path)];
      }
    }
    // fromEntries defines own properties, so a key named "__proto__" stays data, never a prototype.
    return Object.fromEntries(out);
  };
  return { config: merge(defaults, operator, ''), added };
}
