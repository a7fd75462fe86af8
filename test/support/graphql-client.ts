/** Minimal GraphQL clients for tests: HTTP POST, and graphql-ws subscriptions. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T = any> {
  readonly data?: T;
  readonly errors?: readonly { message: string; extensions?: Record<string, any> }[];
}

export async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

/** Like gql, but fails the test on any error and returns data. */
export async function gqlData<T = any>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await gql<T>(url, query, variables);
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data as T;
}

export function wsClient(httpUrl: string, connectionParams: Record<string, unknown> = {}): Client {
  return createClient({ url: httpUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams, lazy: true, retryAttempts: 0 });
}

/** Collects every event of a subscription until it completes (or times out). */
export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown>, timeoutMs = 20_000): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const events: T[] = [];
    const timer = setTimeout(() => { dispose(); reject(new Error(`subscription did not complete in ${timeoutMs} ms; got ${JSON.stringify(events)}`)); }, timeoutMs);
    const dispose = client.subscribe<T>({ query, variables }, {
      next: (value) => {
        if (value.errors) { clearTimeout(timer); reject(new Error(JSON.stringify(value.errors))); return; }
        events.push(value.data as T);
      },
      error: (error) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error(JSON.stringify(error))); },
      complete: () => { clearTimeout(timer); resolve(events); },
    });
  });
}

export const JOB_FIELDS = 'id collection documentId status stage progress attempts error chunkCount priority createdAt updatedAt finishedAt';

/** Polls job(id) until it is terminal. */
export async function waitForJob(url: string, id: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { job } = await gqlData(url, `query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'DEAD_LETTERED'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
