/**
 * Reading latencies on the bench's measuring side: a book's time from a
 * message without parsing all of it, and percentiles of a 1 ms histogram.
 */

/** The book's time in ms from a `next` message, without parsing the whole message. */
export function bookTime(text: string): number | undefined {
  let i = text.indexOf('"timestamp":"');
  if (i >= 0) {
    i += 13;
    return Date.parse(text.slice(i, text.indexOf('"', i)));
  }
  i = text.lastIndexOf('"ts":');
  if (i >= 0) {
    i += 5;
    let j = i;
    while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
    return Number(text.slice(i, j));
  }
  return undefined;
}

export function percentile(hist: Uint32Array, total: number, p: number): number | null {
  if (total === 0) return null;
  const target = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen >= target) return i;
  }
  return hist.length - 1;
}
