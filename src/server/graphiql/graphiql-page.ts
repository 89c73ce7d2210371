/**
 * The GraphiQL page yoga serves on `GET /graphql` from a browser: a few
 * kilobytes of HTML that name GraphiQL's hashed, cacheable files
 * (`graphiql-assets.ts`) instead of inlining 9 MB of them, start Monaco's
 * workers from those files, and hand GraphiQL its options (tabs, variables,
 * headers: `graphiql.ts`). A few style rules keep the title on one line and
 * the tab bar still (`GRAPHIQL_STYLE_FIXES`).
 */
import type { GraphiQLOptions } from 'graphql-yoga';
import { graphiqlAssets } from './graphiql-assets.ts';

/**
 * Style rules on top of GraphiQL's:
 * - the title (yoga's logo slot) stays on one line;
 * - a tab never moves under the pointer: GraphiQL's tabs are a drag-to-reorder
 *   list (framer-motion) whose items carry a stale drag offset (in Chromium,
 *   from 1280 to 2560 px wide, the distance from where the tab first appeared,
 *   the end of the list: hundreds of pixels). GraphiQL's stylesheet hides it
 *   only while the tab has no focus (`:not(:focus-within)`); mouse-down
 *   focuses the tab, the offset applies, the tab jumps away and the click
 *   lands elsewhere: the first click on an inactive tab was lost. Tabs now
 *   never take a transform (the price: a dragged tab no longer follows the
 *   pointer).
 */
export const GRAPHIQL_STYLE_FIXES = `
.graphiql-logo, .graphiql-logo-link { white-space: nowrap; }
.graphiql-tab { transform: none !important; }
`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON that cannot end its <script> element early. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value ?? {})
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** yoga's `renderGraphiQL`: the page, with the options of this load. */
export function renderGraphiQLPage(options?: GraphiQLOptions): string {
  const { paths } = graphiqlAssets();
  const workers = { editorWorkerService: paths.editorWorkerService, json: paths.jsonWorker, graphql: paths.graphqlWorker };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options?.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${paths.favicon}" />
    <link rel="stylesheet" href="${paths.css}" />
    <style>${GRAPHIQL_STYLE_FIXES}</style>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${scriptJson(workers)};
      self['MonacoEnvironment'] = { globalAPI: false, getWorkerUrl: (moduleId, label) => workers[label] };
    </script>
    <script src="${paths.js}"></script>
    <script>
        YogaGraphiQL.renderYogaGraphiQL(
          window.document.querySelector('#root'),
          ${scriptJson(options)},
        );
    </script>
  </body>
</html>
`;
}
