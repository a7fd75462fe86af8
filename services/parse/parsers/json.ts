import { PermanentError } from '../../../messaging/errors.ts';
import type { ParsedDocument, Section } from '../parsed-document.ts';

/**
 * JSON → one section per top-level key (or array element), its heading that key, its text one
 * `path: value` line per leaf (`authors[0].name: Ada`), so a value is found with the name it
 * has. Parsed with JSON.parse; a title from a top-level string "title" or "name".
 */
export function parseJson(text: string): ParsedDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PermanentError(`content is not valid JSON (${(error as Error).message}): fix it or send the right mimeType`, { cause: error });
  }
  const sections: Section[] = [];
  if (isObject(value) || Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      const heading = Array.isArray(value) ? `[${key}]` : key;
      const lines: string[] = [];
      leaves(child, '', lines);
      if (lines.length) sections.push({ headings: [heading], text: lines.join('\n') });
    }
  } else {
    sections.push({ headings: [], text: String(value) });
  }
  const named = isObject(value) ? value.title ?? value.name : undefined;
  return { title: typeof named === 'string' && named.trim() !== '' ? named.trim() : null, sections };
}

function leaves(value: unknown, path: string, lines: string[]): void {
  if (isObject(value) || Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      leaves(child, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key, lines);
    }
    return;
  }
  if (value === null || value === '') return;
  lines.push(path ? `${path}: ${String(value)}` : String(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
