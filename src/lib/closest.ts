/**
 * "Did you mean": the names of a list closest to a mistyped one, ranked by
 * edit distance (Levenshtein, case-insensitive), with names that share a
 * prefix with the input ranked first among equals. Only names within a bound
 * distance are offered (a third of the input's length, at most
 * MAX_SUGGESTION_DISTANCE: `SOLUSD` is not "close" to `ETHUSD` just because
 * both end in USD), and only a bounded number of them, so a message that
 * names alternatives stays short whatever the list holds.
 */

/** The most edits a name may be away from the input and still be suggested, however long the input. */
export const MAX_SUGGESTION_DISTANCE = 3;

/** Levenshtein distance between two strings, or `limit + 1` as soon as it is sure to exceed `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Length of the common prefix of two strings. */
function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * Up to `max` names from `names` closest to `input`: within the distance
 * bound, or starting with the input (or it with them),
 * nearest first, then the longer shared prefix, then alphabetical.
 */
export function closestNames(input: string, names: Iterable<string>, max: number): string[] {
  const wanted = input.toUpperCase();
  const limit = Math.min(MAX_SUGGESTION_DISTANCE, Math.max(1, Math.floor(wanted.length / 3)));
  const ranked: { name: string; distance: number; prefix: number }[] = [];
  for (const name of names) {
    const upper = name.toUpperCase();
    const prefixed = wanted.length > 0 && (upper.startsWith(wanted) || wanted.startsWith(upper));
    const distance = editDistance(wanted, upper, limit);
    if (distance > limit && !prefixed) continue;
    ranked.push({ name, distance, prefix: commonPrefix(wanted, upper) });
  }
  ranked.sort((x, y) => x.distance - y.distance || y.prefix - x.prefix || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return ranked.slice(0, Math.max(0, max)).map((r) => r.name);
}
