/**
 * job.event v1: a change in a job's life, published by whoever changed it (gateway or actor)
 * to the events exchange as `job.<collection>.<jobId>`. The store stays the source of truth;
 * events let subscribers on any gateway replica follow along.
 */
import { z } from 'zod';
import { JOB_STATUSES, PRIORITIES, STAGES, type Job, type JobStatus, type Stage } from '../domain.ts';
import { header, parseContract } from './contract.ts';

const jobSchema = z.object({
  id: z.string(),
  collection: z.string(),
  documentId: z.string(),
  status: z.enum(JOB_STATUSES),
  stage: z.enum(STAGES).nullable(),
  progress: z.number(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  chunkCount: z.number().int().nullable(),
  priority: z.enum(PRIORITIES),
  seq: z.number().int(),
  traceId: z.string().nullable(),
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
  finishedAt: z.coerce.date().nullable(),
});

export const jobEventSchema = z.object({
  ...header('job.event'),
  job: jobSchema,
  stage: z.enum(STAGES).nullable(),
  status: z.enum(JOB_STATUSES),
  progress: z.number(),
  message: z.string().nullable(),
  at: z.coerce.date(),
}).readonly();

/** A job event as delivered to subscribers. */
export interface JobEvent {
  readonly job: Job;
  readonly stage: Stage | null;
  readonly status: JobStatus;
  readonly progress: number;
  readonly message: string | null;
  readonly at: Date;
}

export function parseJobEvent(value: unknown): JobEvent {
  const { type: _type, version: _version, ...event } = parseContract(jobEventSchema, value, 'job.event');
  return event;
}

/** The event describing a job's current state. */
export function eventOf(job: Job, message: string | null = null): JobEvent {
  return { job, stage: job.stage, status: job.status, progress: job.progress, message, at: job.updatedAt };
}

export function serializeJobEvent(event: JobEvent): Buffer {
  return Buffer.from(JSON.stringify({ type: 'job.event', version: 1, ...event }));
}
