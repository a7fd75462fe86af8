/**
 * Wraps a Store so that each call made inside a traced operation is a child span
 * (`store.indexDocument`, `store.updateJob`, `store.search`, …). Calls outside any span
 * (a client polling a job) stay untraced.
 */
import type { Store } from './store.ts';
import { ATTR, SPAN } from '../observability/attributes.ts';
import { inChildSpan } from '../observability/tracing.ts';

export function tracedStore(store: Store): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'close') return value;
      return (...args: unknown[]) => inChildSpan(SPAN.store(property), attributesOf(property, args), async (span) => {
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const chunkCount = (result as { job?: { chunkCount?: unknown } } | null)?.job?.chunkCount;
        if (span && typeof chunkCount === 'number') span.setAttribute(ATTR.chunkCount, chunkCount);
        return result;
      });
    },
  });
}

function attributesOf(operation: string, args: readonly unknown[]): Record<string, string | number> {
  const attributes: Record<string, string | number> = { [ATTR.storeOperation]: operation };
  const [first] = args;
  if (operation === 'updateJob' || operation === 'getJob') attributes[ATTR.jobId] = String(first);
  // Calls about one document name its collection first.
  if (['getDocument', 'countChunks', 'deleteDocument'].includes(operation)) attributes[ATTR.collection] = String(first);
  const request = first as { jobId?: unknown; collection?: unknown; chunks?: unknown; k?: unknown; document?: { collection?: unknown } } | null;
  if (typeof request?.jobId === 'string') attributes[ATTR.jobId] = request.jobId;
  if (typeof request?.collection === 'string') attributes[ATTR.collection] = request.collection;
  if (typeof request?.document?.collection === 'string') attributes[ATTR.collection] = request.document.collection;
  if (Array.isArray(request?.chunks)) attributes[ATTR.chunkCount] = request.chunks.length;
  const status = (args[1] as { status?: unknown } | undefined)?.status;
  if (operation === 'updateJob' && typeof status === 'string') attributes[ATTR.jobStatus] = status;
  return attributes;
}
