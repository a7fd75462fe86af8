/**
 * A job's first message, and the stage it goes to: a URL goes to the fetch stage; inline content,
 * whose bytes the gateway already holds, goes straight to the parse stage as the very parse.request
 * the fetch actor would have made of it (issue 15: one hop less per inline document).
 */
import type { JobRef } from '../../schema/messages/contract.ts';
import type { FetchRequest } from '../../schema/messages/fetch-request.ts';
import type { ParseRequest } from '../../schema/messages/parse-request.ts';
import { inlineParseRequest } from '../../schema/messages/parse-request-builder.ts';
import type { IngestPlan } from './ingest-plan.ts';

export type FirstMessage =
  | { readonly stage: 'FETCH'; readonly message: FetchRequest }
  | { readonly stage: 'PARSE'; readonly message: ParseRequest };

export function firstMessage(plan: IngestPlan, job: JobRef): FirstMessage {
  const document = { title: plan.title, mimeType: plan.mimeType, sourceUrl: null, metadata: plan.metadata, contentHash: null };
  if (plan.source.kind === 'inline') return { stage: 'PARSE', message: inlineParseRequest(job, document, plan.source.bytes, plan.source.sha256) };
  return {
    stage: 'FETCH',
    message: { type: 'fetch.request', version: 1, job, document: { ...document, sourceUrl: plan.source.url }, source: plan.source },
  };
}
