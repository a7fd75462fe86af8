/**
 * `rag ingest <folder> --prune`: a file removed from a folder leaves its document behind, and
 * searches go on finding it. After sending, the documents named after files under each folder
 * argument (`file:<folder>/…`, see prepare-input.ts) whose file no longer exists are deleted.
 * Only files that are gone: one skipped or unreadable this time keeps its document. A path too
 * long for a document id is named by its hash, so such a file's document is never pruned.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Connection } from './connection.ts';
import { listDocuments } from './documents-command.ts';
import { deleteDocument } from './delete-command.ts';
import { FILE_ID_PREFIX, fileOfDocumentId } from './prepare-input.ts';

/** The ids of the documents deleted, their files gone. */
export async function pruneRemovedFiles(connection: Connection, collection: string, folders: readonly string[]): Promise<string[]> {
  const pruned: string[] = [];
  for (const folder of folders) {
    const prefix = `${FILE_ID_PREFIX}${folder.endsWith(path.sep) ? folder : `${folder}${path.sep}`}`;
    const gone: string[] = [];
    for await (const document of listDocuments(connection, collection, prefix)) {
      const file = fileOfDocumentId(document.id);
      if (file !== null && !existsSync(file)) gone.push(document.id);
    }
    // Deleted after the listing, so its pages never shift under it.
    for (const id of gone) if (await deleteDocument(connection, collection, id)) pruned.push(id);
  }
  return pruned;
}
