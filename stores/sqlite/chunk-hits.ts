/** A chunk row as every ranking selects it, and its conversion to a search hit. */
import type { Metadata, SearchHit } from '../../schema/domain.ts';

/** The chunk columns of a hit, from the chunks table aliased `c`; each query adds its `score`. */
export const HIT_COLUMNS = 'c.id, c.document_id, c.text, c.ordinal, c.title, c.metadata';

export interface HitRow {
  readonly id: string;
  readonly document_id: string;
  readonly text: string;
  readonly ordinal: number;
  readonly title: string | null;
  readonly metadata: string;
  /** Higher is better. */
  readonly score: number;
}

export function rowToHit(row: HitRow): Omit<SearchHit, 'signals'> {
  return {
    chunkId: row.id,
    documentId: row.document_id,
    text: row.text,
    score: row.score,
    ordinal: row.ordinal,
    title: row.title,
    metadata: JSON.parse(row.metadata) as Metadata,
  };
}
