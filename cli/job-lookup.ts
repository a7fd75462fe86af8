/** Reads the current state of many jobs in few requests. */
import type { Connection } from './connection.ts';
import { request } from './graphql-client.ts';
import { JOB_SELECTION, type JobState } from './job-state.ts';

/** Aliases per request: well under the alias limits query-hardening plugins apply (often 15). */
const IDS_PER_REQUEST = 10;

/** The current state of each job that exists, in the order of `ids`. */
export async function fetchJobs(connection: Connection, ids: readonly string[]): Promise<JobState[]> {
  const groups: string[][] = [];
  for (let start = 0; start < ids.length; start += IDS_PER_REQUEST) groups.push(ids.slice(start, start + IDS_PER_REQUEST));
  const results = await Promise.all(groups.map(async (group) => {
    const variables = Object.fromEntries(group.map((id, index) => [`id${index}`, id]));
    const query = `query JobStates(${group.map((_, index) => `$id${index}: ID!`).join(', ')}) {
      ${group.map((_, index) => `j${index}: job(id: $id${index}) { ${JOB_SELECTION} }`).join('\n      ')}
    }`;
    const data = await request<Record<string, JobState | null>>(connection, query, variables);
    return group.map((_, index) => data[`j${index}`]).filter((job): job is JobState => job !== null && job !== undefined);
  }));
  return results.flat();
}
