/**
 * Reads the options a served GraphiQL page hands to GraphiQL (its tabs, their
 * variables and headers), from the page's bootstrap script.
 */
import type { GraphiQLPageOptions } from '../../src/server/graphiql/graphiql.ts';

/** The options yoga's page hands to GraphiQL (the JSON after `querySelector('#root'),`). */
export function pageOptions(html: string): GraphiQLPageOptions {
  const marker = "window.document.querySelector('#root'),";
  const start = html.lastIndexOf(marker);
  if (start < 0) throw new Error('no GraphiQL bootstrap in the page');
  const json = html
    .slice(start + marker.length, html.indexOf('\n', html.indexOf('{', start)))
    .trim()
    .replace(/,$/, '');
  return JSON.parse(json) as GraphiQLPageOptions;
}
