import { unzipSync } from 'fflate';
import { PermanentError } from '../../../messaging/errors.ts';

/**
 * The entries of a ZIP container (DOCX, EPUB, ODT) whose names `wanted` accepts, inflated with
 * fflate. An archive bomb inflates past the worker's memory cap and is stopped there.
 */
export function zipEntries(content: Uint8Array, format: string, wanted: (name: string) => boolean): Map<string, Uint8Array> {
  try {
    return new Map(Object.entries(unzipSync(content, { filter: (file) => wanted(file.name) })));
  } catch (error) {
    if (error instanceof RangeError) throw error; // allocation failed: a bomb, reported against the memory cap
    throw new PermanentError(`cannot read the ${format} (${(error as Error).message}): it is not a complete ZIP container`, { cause: error });
  }
}

/** One entry as UTF-8 text; a missing one is a PermanentError naming it. */
export function zipText(entries: ReadonlyMap<string, Uint8Array>, name: string, format: string): string {
  const bytes = entries.get(name);
  if (bytes === undefined) throw new PermanentError(`cannot read the ${format}: it has no ${name}; check that the file is a ${format}`);
  return new TextDecoder().decode(bytes);
}
