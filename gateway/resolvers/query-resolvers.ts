/** Query resolvers: jobs, documents, collections and search, read straight from the store, within the caller's collections. */
import { JOB_STATUSES, type JobStatus, type SearchMode } from '../../schema/domain.ts';
import { canSee, requireCollection, requirePrincipal, requireVisible, visibleCollections } from '../auth/authorize.ts';
import { timedSearch } from '../../observability/metrics.ts';
import type { GatewayContext } from '../context.ts';
import { pageSize } from './page-size.ts';
import { badInput, checkArgument } from '../errors.ts';
import { decodeJobCursor } from '../../stores/job-cursor.ts';
import { decodeDocumentCursor, encodeDocumentCursor } from './document-cursor.ts';

/** Longest `idPrefix`: a document id's own limit. */
const MAX_ID_PREFIX = 256;

export const queryResolvers = {
  async job(_: unknown, args: { id: string }, context: GatewayContext) {
    requirePrincipal(context);
    const job = await context.services.store.getJob(args.id);
    // Another collection's job reads as missing: its existence does not leak.
    return job && canSee(context, job.collection) ? job : null;
  },

  async jobs(_: unknown, args: { collection?: string | null; status?: JobStatus | null; first?: number | null; after?: string | null }, context: GatewayContext) {
    const first = pageSize(args.first);
    if (args.status && !JOB_STATUSES.includes(args.status)) throw badInput('status', 'unknown status');
    // Checked here, with the rule the stores use, so a forged cursor is the client's error.
    if (args.after) checkArgument(() => decodeJobCursor(args.after!));
    const visible = visibleCollections(context);
    // Naming a collection the key may not use is refused; without a name the list is filtered.
    if (args.collection) requireVisible(context, args.collection);
    const page = await context.services.store.listJobs({
      first,
      ...(args.collection ? { collection: args.collection } : {}),
      ...(visible ? { collections: visible } : {}),
      ...(args.status ? { status: args.status } : {}),
      ...(args.after ? { after: args.after } : {}),
    });
    return {
      edges: page.jobs.map(({ job, cursor }) => ({ cursor, node: job })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.jobs.at(-1)?.cursor ?? null },
    };
  },

  async document(_: unknown, args: { collection: string; id: string }, context: GatewayContext) {
    // Decided by the key alone, before any lookup: the answer says nothing about what is stored.
    requireCollection(context, args.collection, 'search');
    return context.services.store.getDocument(args.collection, args.id);
  },

  async documents(
    _: unknown, args: { collection: string; first?: number | null; after?: string | null; idPrefix?: string | null }, context: GatewayContext,
  ) {
    requireCollection(context, args.collection, 'search');
    const first = pageSize(args.first);
    if (args.idPrefix && args.idPrefix.length > MAX_ID_PREFIX) throw badInput('idPrefix', `at most ${MAX_ID_PREFIX} characters, got ${args.idPrefix.length}`);
    const afterId = args.after ? checkArgument(() => decodeDocumentCursor(args.after!)) : undefined;
    const page = await context.services.store.listDocuments({
      collection: args.collection, first, ...(afterId === undefined ? {} : { afterId }), ...(args.idPrefix ? { idPrefix: args.idPrefix } : {}),
    });
    const edges = page.documents.map((document) => ({ cursor: encodeDocumentCursor(document.id), node: document }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  },

  async collections(_: unknown, __: unknown, context: GatewayContext) {
    // Only the collections the key may use: another tenant's collection names do not leak.
    const names = await context.services.store.listCollections(visibleCollections(context));
    const found = await Promise.all(names.map((name) => context.services.store.getCollection(name)));
    return found.filter((info) => info !== null).map((info) => ({
      name: info.name, embedder: info.embedder.name, dimension: info.embedder.dimension, documentCount: info.documentCount, chunkCount: info.chunkCount,
    }));
  },

  search(
    _: unknown,
    args: { collection: string; query: string; k?: number | null; filter?: unknown; mode?: SearchMode | null; lexicalWeight?: number | null },
    context: GatewayContext,
  ) {
    requireCollection(context, args.collection, 'search');
    return timedSearch(args.collection, () =>
      context.services.search.search(args.collection, args.query, args.k ?? 5, args.filter, args.mode ?? 'HYBRID', args.lexicalWeight ?? undefined));
  },
};
