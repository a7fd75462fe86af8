import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { ParsedDocument, Section } from '../parse/parsed-document.ts';
import { parseDocument } from '../parse/parse-document.ts';
import { PermanentError } from '../../messaging/errors.ts';
import { DEFAULT_CHUNK_OPTIONS, splitSections } from './split-sections.ts';

/** `count` distinct words such as "alpha0 alpha1 …", so every chunk can be traced to its section. */
const words = (prefix: string, count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `${prefix}${from + i}`).join(' ');
const doc = (...sections: Section[]): ParsedDocument => ({ title: null, sections });

/** Length of the longest start of `next` that is also the end of `previous`. */
function sharedLength(previous: string, next: string): number {
  for (let k = Math.min(previous.length, next.length); k > 0; k--) {
    if (previous.endsWith(next.slice(0, k))) return k;
  }
  return 0;
}

describe('splitSections', () => {
  describe('when options are omitted', () => {
    it('should use chunks of at most 1000 characters with 150 overlap', async () => {
      assert.deepEqual(DEFAULT_CHUNK_OPTIONS, { size: 1000, overlap: 150 });
      const chunks = await splitSections(doc({ headings: [], text: words('w', 1000) }));
      assert.ok(chunks.length > 1);
      for (const chunk of chunks) assert.ok(chunk.text.length <= 1000, `chunk of ${chunk.text.length}`);
      for (let i = 1; i < chunks.length; i++) {
        const shared = sharedLength(chunks[i - 1]!.text, chunks[i]!.text);
        assert.ok(shared > 0 && shared <= 150, `chunks ${i - 1} and ${i} share ${shared} characters`);
      }
    });
  });

  describe('when a section is longer than the chunk size', () => {
    it('should keep every chunk within size and repeat at most overlap characters', async () => {
      const size = 200;
      const overlap = 40;
      const chunks = await splitSections(doc({ headings: ['Long'], text: words('w', 300) }), { size, overlap });
      assert.ok(chunks.length > 5);
      for (const chunk of chunks) assert.ok(chunk.text.length <= size, `chunk of ${chunk.text.length}`);
      for (let i = 1; i < chunks.length; i++) {
        const shared = sharedLength(chunks[i - 1]!.text, chunks[i]!.text);
        assert.ok(shared > 0 && shared <= overlap, `chunks ${i - 1} and ${i} share ${shared} characters`);
      }
    });

    it('should repeat nothing and lose nothing when overlap is 0', async () => {
      const text = words('w', 300);
      const chunks = await splitSections(doc({ headings: [], text }), { size: 120, overlap: 0 });
      assert.equal(chunks.map((c) => c.text).join(' '), text);
    });

    it('should break between paragraphs before breaking inside one', async () => {
      const first = words('first', 30);
      const second = words('second', 30);
      const chunks = await splitSections(doc({ headings: [], text: `${first}\n\n${second}` }), { size: 300, overlap: 0 });
      assert.deepEqual(
        chunks.map((c) => c.text),
        [first, second],
      );
    });
  });

  describe('when the document has several sections', () => {
    const sections: Section[] = [
      { headings: [], text: words('intro', 20) },
      { headings: ['Guide'], text: words('guide', 80) },
      { headings: ['Guide', 'Install'], text: words('install', 80) },
      { headings: ['Guide', 'Install', 'Linux'], text: 'linux0 linux1' },
    ];

    it('should never let a chunk cross a heading and should label it with the heading path', async () => {
      const chunks = await splitSections(doc(...sections), { size: 150, overlap: 30 });
      const expected: Record<string, string | null> = {
        intro: null,
        guide: 'Guide',
        install: 'Guide > Install',
        linux: 'Guide > Install > Linux',
      };
      for (const chunk of chunks) {
        const prefixes = new Set(chunk.text.split(' ').map((word) => word.replace(/\d+$/, '')));
        assert.equal(prefixes.size, 1, `chunk ${chunk.ordinal} mixes sections: ${[...prefixes].join(', ')}`);
        const [prefix] = prefixes;
        assert.equal(chunk.heading, expected[prefix!]);
      }
      assert.deepEqual(
        [...new Set(chunks.map((c) => c.heading))],
        [null, 'Guide', 'Guide > Install', 'Guide > Install > Linux'],
      );
    });

    it('should number chunks 0..n-1 in document order', async () => {
      const chunks = await splitSections(doc(...sections), { size: 150, overlap: 30 });
      assert.deepEqual(
        chunks.map((c) => c.ordinal),
        chunks.map((_, i) => i),
      );
      const firstWords = chunks.map((c) => c.text.split(' ')[0]!);
      const position = (word: string) => {
        const section = sections.findIndex((s) => s.text.split(' ').includes(word));
        return section * 1000 + Number(word.match(/\d+$/)![0]);
      };
      const positions = firstWords.map(position);
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    });

    it('should drop blank sections and blank pieces', async () => {
      const chunks = await splitSections(
        doc({ headings: ['Empty'], text: '  \n\n \t ' }, { headings: ['Full'], text: '\n\nreal words\n\n\n\n' }),
        { size: 50, overlap: 0 },
      );
      assert.deepEqual(chunks, [{ ordinal: 0, text: 'real words', heading: 'Full' }]);
    });
  });

  describe('when splitting a parsed Markdown guide', () => {
    it('should give each chunk the heading path of the section it came from', async () => {
      const bytes = await readFile(new URL('../../test/fixtures/docs/guide.md', import.meta.url));
      const parsed = await parseDocument(bytes, 'text/markdown');
      const chunks = await splitSections(parsed, { size: 300, overlap: 50 });
      assert.ok(chunks.length > parsed.sections.length, 'some sections should need several chunks');
      for (const chunk of chunks) {
        const home = parsed.sections.find((s) => s.text.includes(chunk.text));
        assert.ok(home, `chunk ${chunk.ordinal} should lie inside one section`);
        assert.equal(chunk.heading, home.headings.join(' > '));
        assert.ok(chunk.text.length <= 300);
      }
    });
  });

  describe('when a section holds a table longer than a chunk', () => {
    const header = '| Variable | Default | Meaning |\n| --- | --- | --- |';
    const rows = Array.from({ length: 40 }, (_, i) => `| LIMIT_${i} | ${i * 10} | ${words(`meaning${i}x`, 4)} |`);
    const lead = words('lead', 12);
    const after = words('after', 12);
    const text = `${lead}\n${header}\n${rows.join('\n')}\n\n${after}`;

    it('should cut it between rows, each piece starting with the header, every row once and in order', async () => {
      const chunks = await splitSections(doc({ headings: ['Limits'], text }), { size: 300, overlap: 60 });
      const tablePieces = chunks.filter((chunk) => chunk.text.includes('LIMIT_'));
      assert.ok(tablePieces.length > 3, `${tablePieces.length} pieces`);
      for (const chunk of chunks) assert.ok(chunk.text.length <= 300, `chunk of ${chunk.text.length}`);
      for (const piece of tablePieces) assert.ok(piece.text.startsWith(`${header}\n| LIMIT_`), piece.text);
      assert.deepEqual(tablePieces.flatMap((piece) => piece.text.split('\n').slice(2)), rows);
      assert.deepEqual(chunks.map((chunk) => chunk.heading), chunks.map(() => 'Limits'));
      assert.equal(chunks[0]?.text, lead);
      assert.equal(chunks.at(-1)?.text, after);
    });

    it('should split a row too long for a piece as text, each part under the header', async () => {
      const long = `| LIMIT_LONG | 1 | ${words('wide', 80)} |`;
      const chunks = await splitSections(doc({ headings: [], text: `${header}\n${rows[0]}\n${long}\n${rows[1]}` }), { size: 300, overlap: 30 });
      for (const chunk of chunks) {
        assert.ok(chunk.text.length <= 300, `chunk of ${chunk.text.length}`);
        assert.ok(chunk.text.startsWith(`${header}\n`), chunk.text);
      }
      const seen = new Set(chunks.flatMap((chunk) => chunk.text.split(/\s+/)));
      for (const word of words('wide', 80).split(' ')) assert.ok(seen.has(word), `${word} lost`);
      assert.ok(chunks.at(-1)!.text.endsWith(rows[1]!));
    });

    it('should split it as text when its header takes more than half a chunk, or leave it whole when it fits', async () => {
      const wide = `| ${words('column', 30).replaceAll(' ', ' | ')} |\n|${' --- |'.repeat(30)}`;
      const wideRows = rows.map((row) => `${row}${' x |'.repeat(26)}`);
      const wideChunks = await splitSections(doc({ headings: [], text: `${wide}\n${wideRows.join('\n')}` }), { size: 400, overlap: 0 });
      assert.equal(wideChunks.filter((chunk) => chunk.text.includes('column0')).length, 1);
      const small = `${header}\n${rows.slice(0, 3).join('\n')}`;
      assert.deepEqual((await splitSections(doc({ headings: [], text: `${lead}\n\n${small}` }), { size: 300, overlap: 0 })).map((chunk) => chunk.text), [lead, small]);
    });
  });

  describe('when options are out of range', () => {
    const cases: { options: { size?: number; overlap?: number }; names: RegExp }[] = [
      { options: { size: 49 }, names: /"size".*50/ },
      { options: { size: 100.5 }, names: /"size".*50/ },
      { options: { size: Number.NaN }, names: /"size"/ },
      { options: { overlap: -1 }, names: /"overlap".*999/ },
      { options: { size: 100, overlap: 100 }, names: /"overlap".*99/ },
      { options: { overlap: 1.5 }, names: /"overlap"/ },
    ];
    for (const { options, names } of cases) {
      it(`should throw PermanentError naming the option for ${JSON.stringify(options)}`, async () => {
        await assert.rejects(splitSections(doc({ headings: [], text: 'x' }), options), (error: unknown) => {
          assert.ok(error instanceof PermanentError);
          assert.match(error.message, names);
          return true;
        });
      });
    }

    it('should accept a small size alone by scaling the default overlap down', async () => {
      const chunks = await splitSections(doc({ headings: [], text: words('w', 100) }), { size: 60 });
      for (const chunk of chunks) assert.ok(chunk.text.length <= 60);
      for (let i = 1; i < chunks.length; i++) {
        assert.ok(sharedLength(chunks[i - 1]!.text, chunks[i]!.text) <= 9);
      }
    });
  });
});
