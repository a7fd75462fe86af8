import type { getDocumentProxy } from 'unpdf';

type PDFDocumentProxy = Awaited<ReturnType<typeof getDocumentProxy>>;

/** Where one entry of a PDF's outline (its bookmarks) starts, and its path of titles from the top. */
export interface OutlineEntry {
  /** 0-based index of the page the entry points at. */
  readonly page: number;
  /** The titles of the entry's ancestors and its own, outermost first. */
  readonly headings: readonly string[];
}

/**
 * Entries read past this many are ignored: each costs pdf.js a lookup, and an outline is a client's
 * input (a hostile one can hold millions). Real books have hundreds.
 */
export const MAX_OUTLINE_ENTRIES = 5000;
/** Deeper entries are ignored; real outlines nest a few levels. */
const MAX_OUTLINE_DEPTH = 16;

type OutlineItem = Awaited<ReturnType<PDFDocumentProxy['getOutline']>>[number];

/**
 * The outline's entries in document order, each with the page it points at; entries whose target
 * is not a page of this file (a web link, a broken destination) are left out, their children kept
 * under their title. Empty when the PDF has no outline or it cannot be read: the outline is an aid,
 * never a reason to fail a document.
 */
export async function readOutline(pdf: PDFDocumentProxy, signal?: AbortSignal): Promise<OutlineEntry[]> {
  const entries: OutlineEntry[] = [];
  let read = 0;
  const walk = async (items: readonly OutlineItem[] | undefined, path: readonly string[]): Promise<void> => {
    if (path.length >= MAX_OUTLINE_DEPTH) return;
    for (const item of items ?? []) {
      if (read++ >= MAX_OUTLINE_ENTRIES) return;
      signal?.throwIfAborted();
      const title = typeof item.title === 'string' ? item.title.replace(/\s+/g, ' ').trim() : '';
      const headings = title === '' ? path : [...path, title];
      const page = await pageOf(pdf, item.dest);
      if (page !== null && title !== '') entries.push({ page, headings });
      await walk(item.items as OutlineItem[] | undefined, headings);
    }
  };
  try {
    await walk(await pdf.getOutline(), []);
  } catch (error) {
    if (signal?.aborted) throw error;
    return [];
  }
  return entries;
}

/** The 0-based page a destination (named, or explicit `[page, /XYZ, …]`) points at, or null. */
async function pageOf(pdf: PDFDocumentProxy, dest: OutlineItem['dest']): Promise<number | null> {
  try {
    const explicit = typeof dest === 'string' ? await pdf.getDestination(dest) : dest;
    const target: unknown = Array.isArray(explicit) ? explicit[0] : null;
    const page = Number.isInteger(target)
      ? target as number
      : typeof target === 'object' && target !== null ? await pdf.getPageIndex(target as Parameters<PDFDocumentProxy['getPageIndex']>[0]) : null;
    return page !== null && page >= 0 && page < pdf.numPages ? page : null;
  } catch {
    return null;
  }
}
