// Mounts GraphiQL in the IDE page served by the gateway (see ide-page.ts).
// Plain browser JavaScript, served as is: it runs after the UMD builds of React, ReactDOM,
// graphql-ws (global `graphqlWs`) and GraphiQL. Its settings come from a JSON data block rather
// than an inline script, so the page works under a `script-src 'self'` Content-Security-Policy.
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('ide-config').textContent);
  const wsProtocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const subscriptionUrl = wsProtocol + '//' + window.location.host + config.graphqlPath;

  // The default Authorization value is a hint, not a credential: sending it would make a gateway
  // that validates any token it receives reject even the schema introspection.
  function withoutPlaceholder(headers) {
    const result = {};
    for (const name of Object.keys(headers)) {
      if (headers[name] !== config.authorizationPlaceholder) result[name] = headers[name];
    }
    return result;
  }

  // graphql-ws sends connectionParams once, in connection_init, so a socket is bound to the headers
  // it was opened with. Keep one client per distinct header set: a lazy client opens its socket on
  // its first subscription and closes it after its last, so the client left behind when the user
  // edits the headers closes by itself once its subscriptions end.
  let current = null;
  function fetcherFor(headers) {
    const key = JSON.stringify(headers);
    if (current !== null && current.key === key) return current.fetcher;
    const wsClient = graphqlWs.createClient({
      url: subscriptionUrl,
      lazy: true,
      connectionParams: () => headers,
    });
    // createFetcher sends queries and mutations over HTTP POST with the headers GraphiQL passes
    // per call, and operations that are subscriptions through wsClient.
    const fetcher = GraphiQL.createFetcher({ url: config.graphqlPath, wsClient });
    current = { key, fetcher };
    return fetcher;
  }

  function fetcher(params, options) {
    const headers = withoutPlaceholder((options && options.headers) || {});
    return fetcherFor(headers)(params, Object.assign({}, options, { headers }));
  }

  const tabs = [config.exampleQuery, config.exampleSubscription].map((query) => ({
    query,
    headers: config.defaultHeaders,
  }));

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultTabs: tabs,
      defaultHeaders: config.defaultHeaders,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      // Headers hold API keys: keep them out of localStorage.
      shouldPersistHeaders: false,
    }),
  );
})();
