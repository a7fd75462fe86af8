/** How `rag ingest` describes a job on its line. */
import assert from 'node:assert/strict';
import { describeJob, type JobState } from './job-state.ts';

const job = (overrides: Partial<JobState>): JobState =>
  ({ status: 'QUEUED', stage: null, progress: 0, chunkCount: null, error: null, ...overrides }) as JobState;

describe('describeJob', () => {
  it('when a job succeeded, should count its chunks in the singular for one and the plural otherwise', () => {
    assert.equal(describeJob(job({ status: 'SUCCEEDED', stage: 'INDEX', chunkCount: 1 })), 'SUCCEEDED (1 chunk)');
    assert.equal(describeJob(job({ status: 'SUCCEEDED', stage: 'INDEX', chunkCount: 0 })), 'SUCCEEDED (0 chunks)');
    assert.equal(describeJob(job({ status: 'SUCCEEDED', stage: 'PARSE', chunkCount: 3 })), 'SUCCEEDED (unchanged, 3 chunks)');
  });

  it('when a job runs or failed, should name its stage and progress, or its error', () => {
    assert.equal(describeJob(job({ status: 'RUNNING', stage: 'EMBED', progress: 0.6 })), 'EMBED RUNNING 60%');
    assert.equal(describeJob(job({ status: 'FAILED', stage: 'PARSE', error: 'unsupported type' })), 'FAILED: unsupported type');
  });
});
