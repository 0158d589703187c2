/**
 * Whether an event name (`release.available`) matches a subscription filter:
 * `*` matches everything, `release.*` every name under `release.`, otherwise exact.
 */
export function matchesFilter(eventName: string, filter: string): boolean {
  if (filter === '*') return true;
  if (filter.endsWith('.*')) return eventName.startsWith(filter.slice(0, -1));
  return eventName === filter;
}

/** Whether any of a subscription's filters matches. */
export const matchesAny = (eventName: string, filters: readonly string[]): boolean =>
  filters.some((f) => matchesFilter(eventName, f));

/** Problems with filters, or [] when every filter can match some known event name. */
export function invalidFilters(filters: readonly string[], known: readonly string[]): string[] {
  return filters
    .filter((f) => !known.some((name) => matchesFilter(name, f)))
    .map(
      (f) =>
        `event filter "${f}" matches no event; known events: ${known.join(', ')} (use * or a prefix like release.*)`,
    );
}
