import type { PDFDocumentProxy } from './pdf-text.ts';
import { collapseWhiteSpace } from './words.ts';

/** Where one entry of a PDF's outline (its bookmarks) starts, and its path of titles from the top. */
export interface OutlineEntry {
  /** 0-based index of the page the entry points at. */
  readonly page: number;
  /** The titles of the entry's ancestors and its own, outermost first. */
  readonly headings: readonly string[];
  /** The height on its page (PDF units, from the bottom) the entry shows from, when its destination names one. */
  readonly top: number | null;
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
      const title = typeof item.title === 'string' ? collapseWhiteSpace(item.title) : '';
      // A part whose first entry repeats its title (DocBook's book, then the article in it) adds nothing to the path.
      const headings = title === '' || title === path[path.length - 1] ? path : [...path, title];
      const target = await targetOf(pdf, item.dest);
      if (target !== null && title !== '') entries.push({ ...target, headings });
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

/**
 * The 0-based page a destination (named, or explicit `[page, /XYZ, left, top, zoom]`) points at,
 * and the top it shows from where it names one (/XYZ, /FitH, /FitBH, /FitR); null when it points
 * at no page of this file.
 */
async function targetOf(pdf: PDFDocumentProxy, dest: OutlineItem['dest']): Promise<{ page: number; top: number | null } | null> {
  try {
    const explicit: unknown = typeof dest === 'string' ? await pdf.getDestination(dest) : dest;
    if (!Array.isArray(explicit)) return null;
    const target: unknown = explicit[0];
    const page = Number.isInteger(target)
      ? target as number
      : typeof target === 'object' && target !== null ? await pdf.getPageIndex(target as Parameters<PDFDocumentProxy['getPageIndex']>[0]) : null;
    if (page === null || page < 0 || page >= pdf.numPages) return null;
    const top: unknown = explicit[TOP_INDEX[(explicit[1] as { name?: string } | undefined)?.name ?? ''] ?? -1];
    return { page, top: typeof top === 'number' && Number.isFinite(top) ? top : null };
  } catch {
    return null;
  }
}

/** Where each kind of explicit destination holds its top (ISO 32000-1 §12.3.2.2). */
const TOP_INDEX: Readonly<Record<string, number>> = { XYZ: 3, FitH: 2, FitBH: 2, FitR: 5 };
