/**
 * GraphiQL's static files (its script, its styles, Monaco's three workers and
 * the icon), taken from the npm package that yoga's page inlines them from
 * (no CDN, works offline), served as separate files with content-hashed names
 * under `/graphiql/`: cached by the browser for a year (`immutable`: a new
 * version has a new name), compressed with brotli or gzip as the client
 * accepts (each encoding computed once, off the event loop, on its first
 * request), with an ETag that answers 304. The page that names them stays a
 * few kilobytes (`graphiql-page.ts`).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

/** Where the files are served; the page names them from here. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';
/** A hashed file never changes: a year, and no revalidation. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Hex digits of the content hash in a file's name. */
const HASH_LENGTH = 16;
/**
 * Brotli's quality: on GraphiQL's 5 MB script, 5 gives 1.29 MB in about a
 * second; 9 saves 4% more in four times as long, 11 takes many seconds.
 */
const BROTLI_QUALITY = 5;
/** gzip's level: 9 saves under 1% over 6 on the script. */
const GZIP_LEVEL = 6;

export type AssetName = 'js' | 'css' | 'favicon' | 'editorWorkerService' | 'jsonWorker' | 'graphqlWorker';
export type ContentEncoding = 'br' | 'gzip';

interface Asset {
  /** The path it is served at, with its content hash. */
  readonly path: string;
  readonly type: string;
  readonly body: Buffer;
  readonly hash: string;
  readonly encoded: Map<ContentEncoding, Promise<Buffer>>;
}

/** Each asset's file name (before the hash) and type. */
const FILES: Readonly<Record<AssetName, { readonly stem: string; readonly ext: string; readonly type: string }>> = {
  js: { stem: 'graphiql', ext: 'js', type: 'text/javascript; charset=utf-8' },
  css: { stem: 'graphiql', ext: 'css', type: 'text/css; charset=utf-8' },
  favicon: { stem: 'favicon', ext: 'ico', type: 'image/x-icon' },
  editorWorkerService: { stem: 'editor.worker', ext: 'js', type: 'text/javascript; charset=utf-8' },
  jsonWorker: { stem: 'json.worker', ext: 'js', type: 'text/javascript; charset=utf-8' },
  graphqlWorker: { stem: 'graphql.worker', ext: 'js', type: 'text/javascript; charset=utf-8' },
};
const NAMES = Object.keys(FILES) as AssetName[];
const DATA_URL = /^data:[^;,]+;base64,/;

/** The package's bundled strings (its `graphiql.js` module, beside the entry that inlines them). */
function packageStrings(): Record<AssetName, string> {
  const require = createRequire(import.meta.url);
  const bundle: unknown = require(join(dirname(require.resolve('@graphql-yoga/render-graphiql')), 'graphiql.js'));
  const out: Partial<Record<AssetName, string>> = {};
  for (const name of NAMES) {
    const value: unknown = typeof bundle === 'object' && bundle !== null ? Reflect.get(bundle, name) : undefined;
    if (typeof value !== 'string') throw new Error(`@graphql-yoga/render-graphiql no longer exports the string ${name}`);
    out[name] = value;
  }
  return out as Record<AssetName, string>;
}

export interface GraphiQLAssets {
  /** Each asset's path (with its hash), for the page. */
  readonly paths: Readonly<Record<AssetName, string>>;
  readonly byPath: ReadonlyMap<string, Asset>;
}

function buildAssets(): GraphiQLAssets {
  const strings = packageStrings();
  const paths: Partial<Record<AssetName, string>> = {};
  const byPath = new Map<string, Asset>();
  for (const name of NAMES) {
    const { stem, ext, type } = FILES[name];
    const text = strings[name];
    // The icon comes as a data: URL; it is served as the file it encodes.
    const body = DATA_URL.test(text) ? Buffer.from(text.replace(DATA_URL, ''), 'base64') : Buffer.from(text, 'utf8');
    const hash = createHash('sha256').update(body).digest('hex').slice(0, HASH_LENGTH);
    const path = `${GRAPHIQL_ASSETS_PATH}${stem}.${hash}.${ext}`;
    paths[name] = path;
    byPath.set(path, { path, type, body, hash, encoded: new Map() });
  }
  return { paths: paths as Record<AssetName, string>, byPath };
}

let loaded: GraphiQLAssets | undefined;
/** The assets, read and hashed on first use (not at import: most processes never serve GraphiQL). */
export function graphiqlAssets(): GraphiQLAssets {
  loaded ??= buildAssets();
  return loaded;
}

/** The encoding to send for an `Accept-Encoding` header: brotli, else gzip, else none. */
export function chooseEncoding(acceptEncoding: string | null): ContentEncoding | undefined {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(coding.trim(), q === undefined ? 1 : Number(q));
  }
  const weight = (coding: ContentEncoding) => accepted.get(coding) ?? accepted.get('*') ?? 0;
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return undefined;
}

const compressBrotli = promisify(brotliCompress);
const compressGzip = promisify(gzip);

function encoded(asset: Asset, encoding: ContentEncoding): Promise<Buffer> {
  let pending = asset.encoded.get(encoding);
  if (pending === undefined) {
    pending =
      encoding === 'br'
        ? compressBrotli(asset.body, {
            params: { [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: asset.body.length },
          })
        : compressGzip(asset.body, { level: GZIP_LEVEL });
    asset.encoded.set(encoding, pending);
  }
  return pending;
}

const etagOf = (asset: Asset, encoding: ContentEncoding | undefined) => `"${asset.hash}${encoding === undefined ? '' : `-${encoding}`}"`;

/** Whether `If-None-Match` names this representation's tag (or `*`). */
const notModified = (ifNoneMatch: string | null, etag: string) =>
  ifNoneMatch !== null && ifNoneMatch.split(',').some((tag) => ['*', etag].includes(tag.trim().replace(/^W\//, '')));

/** Starts compressing every asset in `encoding` (at most once each), so that they are ready when asked for. */
function warm(encoding: ContentEncoding | undefined): void {
  if (encoding === undefined) return;
  for (const asset of graphiqlAssets().byPath.values()) void encoded(asset, encoding);
}

/**
 * Request stage: `GET /graphiql/<file>` answers from the assets (404 for an
 * unknown name). A browser's request for the page on `pagePath` starts
 * compressing the assets in the encoding it accepts, while it reads the page.
 */
export function useGraphiQLAssets(pagePath: string): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === pagePath && request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html')) {
        warm(chooseEncoding(request.headers.get('accept-encoding')));
        return;
      }
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS_PATH) || (request.method !== 'GET' && request.method !== 'HEAD')) return;
      const asset = graphiqlAssets().byPath.get(url.pathname);
      if (asset === undefined) return endResponse(new fetchAPI.Response(null, { status: 404 }));
      const encoding = chooseEncoding(request.headers.get('accept-encoding'));
      const etag = etagOf(asset, encoding);
      const headers: Record<string, string> = { 'cache-control': IMMUTABLE_CACHE_CONTROL, etag, vary: 'accept-encoding' };
      if (notModified(request.headers.get('if-none-match'), etag))
        return endResponse(new fetchAPI.Response(null, { status: 304, headers }));
      const body = encoding === undefined ? asset.body : await encoded(asset, encoding);
      if (encoding !== undefined) headers['content-encoding'] = encoding;
      headers['content-type'] = asset.type;
      headers['content-length'] = String(body.length);
      return endResponse(new fetchAPI.Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers }));
    },
  };
}
