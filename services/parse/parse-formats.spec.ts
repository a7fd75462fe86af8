import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { PermanentError } from '../../messaging/errors.ts';
import { detectMimeType } from '../../schema/mime-types.ts';
import { bookmarkedHeading, contentsEntry, internalLink, makeDocx, makeDocxWith, paragraph, run } from '../../test/fixtures/make-docx.ts';
import { containerBombs, makeZip } from '../../test/fixtures/make-zip-bomb.ts';
import { parseDocument } from './parse-document.ts';
import type { ParsedDocument } from './parsed-document.ts';
import { ParsePool } from './pool/parse-pool.ts';

/**
 * Files made outside this project: pandoc renderings of zstd's README, Debian and tz data, Node's API JSON,
 * git-subtree.adoc, the AsciiDoc source of git's git-subtree(1) manual (Debian package git 1:2.39.5,
 * /usr/share/doc/git/contrib/subtree/git-subtree.txt; GPL-2, © the git authors),
 * cmake-list.rst, the reStructuredText source of CMake's list() help page (Debian package cmake-data 3.25.1,
 * /usr/share/cmake-3.25/Help/command/list.rst; BSD-3-Clause, © Kitware, Inc. and contributors),
 * and xlsx2csv-{sheets,datetime,timeformat}.xlsx, Excel workbooks from xlsx2csv's test suite (Debian package
 * xlsx2csv 0.7.8, /usr/share/doc/xlsx2csv/examples/test/; GPL-2+, © Dilshod Temirkhodjaev), whose expected
 * values are that suite's datetime.csv and timeformat.csv.
 */
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/formats/${name}`, import.meta.url)));
const utf8 = (text: string) => new TextEncoder().encode(text);
const sectionWith = (doc: ParsedDocument, phrase: string) => doc.sections.find((section) => section.text.includes(phrase));

describe('parsing the office, e-book, table and data formats', function () {
  this.timeout(60_000);

  for (const extension of ['docx', 'odt', 'epub']) {
    it(`when a ${extension.toUpperCase()} made by pandoc is given without a type, should detect it and keep its headings as section paths`, async () => {
      const bytes = fixture(`zstd-readme.${extension}`);
      const type = detectMimeType(bytes);
      assert.ok(type, 'detected from content');
      const doc = await parseDocument(bytes, type);
      const section = sectionWith(doc, 'zstd --train FullPathToTrainingSet');
      assert.ok(section, JSON.stringify(doc.sections.map((s) => s.headings)));
      assert.deepEqual(section.headings.slice(-2), ['The case for Small Data compression', 'Dictionary compression How To:']);
      assert.ok(doc.sections.some((s) => s.headings.includes('Build instructions')));
    });
  }

  it('when a DOCX opens with its Title and Word\u2019s table of contents, should take the title and leave the contents out, keeping a cross-reference in its sentence', async () => {
    const doc = await parseDocument(makeDocx(
      paragraph('Title', run('Harbour Manual')),
      paragraph('TOCHeading', run('Contents')),
      contentsEntry('_Toc1', 'Mooring', 2),
      contentsEntry('_Toc2', 'Fuel', 3),
      bookmarkedHeading(1, '_Toc1', 'Mooring'),
      paragraph(null, run('Tie up at the east pontoon. See '), internalLink('_Toc2', run('Fuel')), run('.')),
      bookmarkedHeading(1, '_Toc2', 'Fuel'),
      paragraph(null, run('Diesel is sold at the fuel berth.')),
    ), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    assert.equal(doc.title, 'Harbour Manual', 'the Title paragraph, not the first Heading 1');
    assert.deepEqual(doc.sections, [
      { headings: ['Harbour Manual'], text: 'Contents' },
      { headings: ['Mooring'], text: 'Tie up at the east pontoon. See Fuel.' },
      { headings: ['Fuel'], text: 'Diesel is sold at the fuel berth.' },
    ]);
  });

  it('when an office file declares a title in its properties, should take it before the one its content shows', async () => {
    const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    const body = [paragraph('Title', run('Harbour Manual')), paragraph(null, run('Tie up at the east pontoon.'))];
    assert.equal((await parseDocument(makeDocxWith({ body, declaredTitle: '  Harbour   Manual, 2nd & last edition ' }), docx)).title, 'Harbour Manual, 2nd & last edition');
    assert.equal((await parseDocument(makeDocxWith({ body, declaredTitle: '' }), docx)).title, 'Harbour Manual', 'an empty property is none');
    assert.equal((await parseDocument(makeDocxWith({ body, declaredTitle: 'x'.repeat(1001) }), docx)).title, 'Harbour Manual', 'past 1,000 characters');
    // Excel's workbook, whose only title it is, and pandoc's ODT (meta.xml).
    assert.equal((await parseDocument(fixture('xlsx2csv-sheets.xlsx'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).title, 'Use Case description & register');
    assert.equal((await parseDocument(fixture('zstd-readme.odt'), 'application/vnd.oasis.opendocument.text')).title, 'Zstandard README');
    // Pandoc's PPTX declares an empty title and its first slide has none; given one in its properties, it has that.
    const pptxType = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
    assert.equal((await parseDocument(fixture('zstd-readme.pptx'), pptxType)).title, null);
    const parts = unzipSync(fixture('zstd-readme.pptx'));
    parts['docProps/core.xml'] = strToU8(strFromU8(parts['docProps/core.xml']!).replace('<dc:title></dc:title>', '<dc:title>Zstandard slides</dc:title>'));
    assert.equal((await parseDocument(zipSync(parts), pptxType)).title, 'Zstandard slides');
  });

  it('when AsciiDoc (git\u2019s git-subtree manual) is named .adoc, should detect it and put each section under the document title', async () => {
    const bytes = fixture('git-subtree.adoc');
    const type = detectMimeType(bytes, 'docs/git-subtree.adoc');
    assert.equal(type, 'text/asciidoc');
    const doc = await parseDocument(bytes, type!);
    assert.equal(doc.title, 'git-subtree(1)');
    assert.deepEqual(doc.sections.slice(0, 3).map((s) => s.headings), [['git-subtree(1)', 'NAME'], ['git-subtree(1)', 'SYNOPSIS'], ['git-subtree(1)', 'DESCRIPTION']]);
    assert.equal(doc.sections[0]!.text, 'git-subtree - Merge subtrees together and split repository into subtrees');
    assert.match(sectionWith(doc, 'git subtree [<options>] -P <prefix> split [<local-commit>]')!.text, /^git subtree \[<options>\] -P <prefix> add <local-commit>$/m);
  });

  it('when reStructuredText (CMake\u2019s list() help page) is named .rst, should detect it and cut it at its titles, its markup read as text', async () => {
    const bytes = fixture('cmake-list.rst');
    const type = detectMimeType(bytes, 'Help/command/list.rst');
    assert.equal(type, 'text/x-rst');
    const doc = await parseDocument(bytes, type!);
    assert.equal(doc.title, 'list');
    assert.deepEqual(doc.sections.slice(0, 4).map((s) => s.headings), [['list'], ['list', 'Synopsis'], ['list', 'Introduction'], ['list', 'Reading']]);
    const reading = doc.sections[3]!.text;
    assert.match(reading, /^list\(LENGTH <list> <output variable>\)\n\nReturns the list's length\./);
    assert.match(reading, /list\(JOIN <list> <glue> <output variable>\)\n\nNew in version 3\.12\n\nReturns a string joining/);
    assert.match(doc.sections[2]!.text, /Similar to\nthe set command, the LIST command/);
    const text = doc.sections.map((s) => s.text).join('\n');
    assert.doesNotMatch(text, /:command:`|^\s*\.\. |``|code-block/m);
    assert.ok(doc.sections.some((s) => s.headings.join(' > ') === 'list > Ordering'));
  });

  it('when AsciiDoc is parsed, should leave this thread\u2019s built-in prototypes as they were', async () => {
    // Asciidoctor's Opal runtime adds over a hundred methods to String, Array and Number; in the isolate
    // that loads it, HTML parsing ran 70 times slower (the HTML spec of thousands of nested elements
    // timed out). It must load in a thread of its own.
    await parseDocument(utf8('= Tides\n\n== Springs\n\nLarge.\n'), 'text/asciidoc');
    // Against a fresh context's, so that an AsciiDoc test before this one cannot hide it.
    const names = ['String', 'Array', 'Number', 'Boolean', 'Function', 'RegExp', 'Error'];
    const pristine = runInNewContext(`[${names.map((name) => `Reflect.ownKeys(${name}.prototype).length`).join(', ')}]`) as number[];
    const here = [String, Array, Number, Boolean, Function, RegExp, Error].map((type) => Reflect.ownKeys(type.prototype).length);
    assert.deepEqual(Object.fromEntries(names.map((name, i) => [name, here[i]])), Object.fromEntries(names.map((name, i) => [name, pristine[i]])));
  });

  it('when AsciiDoc includes a file or names the server\u2019s paths, should read neither', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'asciidoc-'));
    try {
      const secret = join(folder, 'secret.adoc');
      writeFileSync(secret, 'the include was read');
      const doc = await parseDocument(utf8(`= Harbour\n\n== Tides\n\ninclude::${secret}[]\n\nHome: {user-home}, here: {docdir}.\n`), 'text/asciidoc');
      const text = doc.sections.map((section) => section.text).join('\n');
      assert.doesNotMatch(text, /the include was read/);
      // The include's target, the client's own words, stays as a link's text; the server's home does not appear.
      assert.ok(!text.includes(homedir()), text);
      assert.deepEqual(doc.sections.map((section) => section.headings), [['Harbour', 'Tides']]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('when AsciiDoc has markup Asciidoctor warns about, should parse it without writing to the log', async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    const saved = { log: console.log, warn: console.warn, error: console.error };
    const capture = (...args: unknown[]) => void written.push(args.map(String).join(' '));
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    Object.assign(console, { log: capture, warn: capture, error: capture });
    try {
      // Level-0 sections in an article: Asciidoctor logs "level 0 sections can only be used when doctype is book" for each.
      const text = Array.from({ length: 50 }, (_, i) => `= Part ${i}\n\ntext ${i}\n`).join('\n');
      const doc = await parseDocument(utf8(text), 'text/asciidoc');
      assert.match(doc.sections.map((section) => section.text).join('\n'), /text 49/);
      // The conversion runs in a thread, whose output reaches this one's stderr a little later.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      process.stderr.write = write;
      Object.assign(console, saved);
    }
    assert.deepEqual(written, []);
  });

  it('when a PPTX made by pandoc is given without a type, should detect it and put each slide under its title', async () => {
    const bytes = fixture('zstd-readme.pptx');
    const type = detectMimeType(bytes);
    assert.equal(type, 'application/vnd.openxmlformats-officedocument.presentationml.presentation');
    const doc = await parseDocument(bytes, type!);
    assert.deepEqual(sectionWith(doc, 'is the officially maintained build system')?.headings, ['Build instructions']);
    assert.deepEqual(sectionWith(doc, 'quick local smoke tests')?.headings, ['Testing']);
  });

  it('when an XLSX made by Excel is given without a type, should detect it and read each sheet like a CSV under its name', async () => {
    const bytes = fixture('xlsx2csv-sheets.xlsx');
    const type = detectMimeType(bytes);
    assert.equal(type, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const doc = await parseDocument(bytes, type!);
    assert.deepEqual(doc.sections.map((s) => s.headings), [
      ['Реестр', '№ | URL | Название | Вер. | Сост. | Аналитик | Заказчик'],
      ['Вариант использования', '№ | Элемент | Описание | Результат шага (Выход) | Ссылки'],
    ]);
    assert.match(doc.sections[0]!.text, /^1 \| url \| <<Шаблон сценария>> \| 1\.0 \| Подп\. \| Фамилия \| Фамилия$/m);
    assert.match(doc.sections[1]!.text, /^7\.1 \| Цель \| Одна или несколько определенных целей для сценария \| Целевой показатель$/m);
  });

  it('when XLSX cells are inline strings, booleans, numbers or skip columns, should keep each value in its column', async () => {
    const bytes = makeZip([
      { name: 'xl/workbook.xml', text: '<workbook xmlns:r="r"><sheets><sheet name="Stock" sheetId="1" r:id="rId1"/></sheets></workbook>' },
      { name: 'xl/_rels/workbook.xml.rels', text: '<Relationships><Relationship Id="rId1" Target="/xl/worksheets/stock.xml"/></Relationships>' },
      { name: 'xl/worksheets/stock.xml', text: '<worksheet><sheetData>' +
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Item</t></is></c><c r="B1" t="inlineStr"><is><t>Count</t></is></c><c r="C1" t="inlineStr"><is><t>In stock</t></is></c></row>' +
        '<row r="3"><c r="A3" t="inlineStr"><is><r><t>Bolt </t></r><r><t>M&amp;6</t></r></is></c><c r="B3"><v>007.50</v></c><c r="C3" t="b"><v>1</v></c></row>' +
        '<row r="4"><c r="A4" t="str"><v>Nut</v></c><c r="C4" t="b"><v>0</v></c></row>' +
        '</sheetData></worksheet>' },
    ]);
    assert.equal(detectMimeType(bytes), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const doc = await parseDocument(bytes, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.deepEqual(doc.sections, [{ headings: ['Stock', 'Item | Count | In stock'], text: 'Bolt M&6 | 007.50 | TRUE\nNut |  | FALSE' }]);
  });

  it('when XLSX cells are dates in the 1904 date system, should read them as ISO date and time', async () => {
    const doc = await parseDocument(fixture('xlsx2csv-datetime.xlsx'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    // xlsx2csv's datetime.csv: 2011-09-15 15:22:00 (the serial 39339.64 would be 2007 in the 1900 system).
    assert.deepEqual(doc.sections.flatMap((section) => section.headings.slice(-1)), ['2011-09-15 15:22:00']);
  });

  it('when XLSX cells carry custom date-time and time-only formats, should read each as its date or time', async () => {
    const doc = await parseDocument(fixture('xlsx2csv-timeformat.xlsx'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    // xlsx2csv's timeformat.csv: 03-08-2017 14:35:00 | 14:40, … | 11:30, … 15:40:00 | 00:01 (it drops the seconds).
    assert.deepEqual(doc.sections.map((section) => [section.headings.at(-1), section.text]),
      [['2017-08-03 14:35:00 | 14:40:30', '2017-08-03 00:00:00 | 11:30:00\n2017-08-03 15:40:00 | 00:01:59']]);
  });

  it('when a CSV is given without a type, should detect it and keep each row on a line under its header', async () => {
    const bytes = fixture('debian-releases.csv');
    assert.equal(detectMimeType(bytes), 'text/csv');
    const doc = await parseDocument(bytes, 'text/csv');
    assert.equal(doc.sections.length, 1);
    assert.deepEqual(doc.sections[0]!.headings, ['version | codename | series | created | release | eol | eol-lts | eol-elts']);
    assert.match(doc.sections[0]!.text, /^1\.1 \| Buzz \| buzz \| 1993-08-16 \| 1996-06-17 \| 1997-06-05$/m);
  });

  it('when a TSV is given without a type, should detect it and read tab-separated cells', async () => {
    const bytes = fixture('iso3166.tsv');
    assert.equal(detectMimeType(bytes), 'text/tab-separated-values');
    const doc = await parseDocument(bytes, 'text/tab-separated-values');
    assert.deepEqual(doc.sections[0]!.headings, ['code | country']);
    assert.match(doc.sections[0]!.text, /^AE \| United Arab Emirates$/m);
  });

  it('when JSON is given without a type, should detect it and give each value with its path under its top-level key', async () => {
    const bytes = fixture('node-synopsis.json');
    assert.equal(detectMimeType(bytes), 'application/json');
    const doc = await parseDocument(bytes, 'application/json');
    const modules = doc.sections.find((s) => s.headings[0] === 'modules');
    assert.match(modules!.text, /^\[0\]\.textRaw: Usage and example$/m);
  });

  it('when source code or a log arrives, should read it as plain text, detected by extension or as UTF-8 text', async () => {
    const code = new TextEncoder().encode('def greet(name):\n    return f"hello {name}"\n');
    assert.equal(detectMimeType(code, 'greet.py'), 'text/x-python');
    assert.equal(detectMimeType(code), 'text/plain');
    const doc = await parseDocument(code, 'text/x-python');
    assert.match(doc.sections[0]!.text, /def greet/);
    assert.equal(detectMimeType(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1])), null, 'binary is not text');
  });

  it('when a ZIP is not a complete container, should fail permanently naming the format', async () => {
    await assert.rejects(parseDocument(new TextEncoder().encode('PK\x03\x04 broken'), 'application/epub+zip'), PermanentError);
  });

  describe('archive bombs', () => {
    let pool: ParsePool;
    // A warm worker per bomb, so no test waits for the replacement of the one before.
    before(() => {
      pool = new ParsePool({ workers: containerBombs(1).length, timeoutMs: 30_000, maxMemoryMb: 256 });
      return pool.warm();
    });
    after(() => pool.close());

    for (const bomb of containerBombs(400)) {
      it(`when a ${bomb.name} holds a part that inflates to 400 MB, should be refused by the memory cap`, async () => {
        assert.equal(detectMimeType(bomb.bytes), bomb.mimeType);
        await assert.rejects(pool.parse(bomb.bytes, bomb.mimeType), (error: unknown) =>
          error instanceof PermanentError && /needed more than PARSE_MAX_MEMORY_MB \(256 MB\)/.test(error.message));
      });
    }
  });
});
