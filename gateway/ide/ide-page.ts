import type { IdeAssets } from './ide-assets.ts';

/** Example operation opened in the first tab when the caller gives none. */
const EXAMPLE_QUERY = `query RecentJobs {
  jobs(first: 5) {
    edges {
      node {
        id
        status
        stage
        progress
      }
    }
  }
}
`;

/** Example operation opened in the second tab when the caller gives none. */
const EXAMPLE_SUBSCRIPTION = `subscription JobEvents {
  jobEvents {
    job {
      id
      status
    }
    stage
    status
    progress
    message
  }
}
`;

/** Value shown in the headers editor; the page never sends it while it is left unchanged. */
export const AUTHORIZATION_PLACEHOLDER = 'Bearer <your API key>';

/** What the IDE page is built from. */
export interface IdePageOptions {
  /** Path of the GraphQL endpoint: HTTP POST for queries, graphql-ws on the same path. */
  readonly graphqlPath: string;
  readonly assets: IdeAssets;
}

/** Settings read by ide-boot.js from the page's JSON data block. */
interface IdeBootConfig {
  readonly graphqlPath: string;
  readonly exampleQuery: string;
  readonly exampleSubscription: string;
  readonly defaultHeaders: string;
  readonly authorizationPlaceholder: string;
}

/**
 * Builds the GraphiQL page. It has no inline script or event handler: settings travel in a
 * `type="application/json"` block (data, never executed), so `script-src 'self'` suffices.
 */
export function buildIdePage(options: IdePageOptions): string {
  const config: IdeBootConfig = {
    graphqlPath: options.graphqlPath,
    exampleQuery: EXAMPLE_QUERY,
    exampleSubscription: EXAMPLE_SUBSCRIPTION,
    defaultHeaders: JSON.stringify({ Authorization: AUTHORIZATION_PLACEHOLDER }, null, 2),
    authorizationPlaceholder: AUTHORIZATION_PLACEHOLDER,
  };
  const scripts = options.assets.scripts
    .map((asset) => `    <script defer src="${escapeHtml(asset.urlPath)}"></script>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>GraphQL IDE</title>
    <!-- An empty icon stops browsers asking the gateway for /favicon.ico. -->
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${escapeHtml(options.assets.stylesheet.urlPath)}">
    <style>html, body { height: 100%; margin: 0; overflow: hidden; } #graphiql { height: 100vh; }</style>
${scripts}
  </head>
  <body>
    <div id="graphiql">Loading the GraphQL IDE…</div>
    <script id="ide-config" type="application/json">${jsonForScriptBlock(config)}</script>
  </body>
</html>
`;
}

/**
 * Content-Security-Policy for the page: everything from this origin, WebSockets to this host only,
 * and the data: fonts and images inlined in GraphiQL's CSS. GraphiQL sets inline styles (and the
 * page has one style block), hence 'unsafe-inline' for styles only. `host` must already be checked;
 * without it, WebSockets rely on 'self'.
 */
export function idePageCsp(host: string | undefined): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    // 'self' covers same-host WebSockets in CSP 3; the explicit ws: sources help older browsers.
    host === undefined ? "connect-src 'self'" : `connect-src 'self' ws://${host} wss://${host}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** `<` escaped so no value can close the script element (`</script>`) early. */
function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
