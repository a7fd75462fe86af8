/** Cursors of the document list: the last document's id, opaque to clients as base64url. */
import { ContractError } from '../../schema/contract-error.ts';

export function encodeDocumentCursor(id: string): string {
  return Buffer.from(JSON.stringify(['d', id])).toString('base64url');
}

/** The id a cursor from encodeDocumentCursor holds; a ContractError naming `after` for anything else. */
export function decodeDocumentCursor(cursor: string): string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value.length === 2 && value[0] === 'd' && typeof value[1] === 'string' && value[1].length <= 256) return value[1];
  throw new ContractError('after', 'not a cursor returned by a previous page (pass endCursor unchanged)');
}
