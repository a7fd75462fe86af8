import assert from 'node:assert/strict';
import { parseRestructuredText } from './restructured-text.ts';

/** A Sphinx page as projects write them: titles in three styles, directives, roles, targets. */
const PAGE = [
  '.. _getpass-module:',
  '',
  '=============================================',
  ' :mod:`getpass` --- Portable password input',
  '=============================================',
  '',
  '.. module:: getpass',
  '   :synopsis: Portable reading of passwords.',
  '',
  '.. toctree::',
  '   :maxdepth: 2',
  '',
  '   install',
  '   usage',
  '',
  '.. This comment is for the maintainers',
  '   and spans two lines.',
  '',
  '.. only:: html',
  '',
  '   Shown in HTML builds.',
  '',
  'The :mod:`getpass` module provides **two** functions, see `the tutorial <https://example.org/t>`_',
  'and :ref:`Reading passwords <reading>`.',
  '',
  'Functions',
  '---------',
  '',
  '.. function:: getpass(prompt=\'Password: \', stream=None)',
  '   :noindex:',
  '',
  '   Prompt the user for a password without echoing. The user is prompted using',
  '   the string *prompt*, which defaults to ``\'Password: \'``.',
  '',
  '   .. note::',
  '      If echo free input is unavailable, it falls back [#]_.',
  '',
  '   .. versionchanged:: 3.14',
  '      On Windows the console is read.',
  '',
  'Example::',
  '',
  '   import getpass',
  '   pw = getpass.getpass()',
  '',
  '.. code-block:: python',
  '   :linenos:',
  '',
  '   print(pw)',
  '',
  'Details',
  '~~~~~~~',
  '',
  '+--------+--------+',
  '| stream | file   |',
  '+--------+--------+',
  '',
  '----',
  '',
  '.. [#] On Windows the console is read directly.',
  '',
  'Other modules',
  '-------------',
  '',
  ':Author: Piers Lauder',
  '',
  '.. image:: diagram.png',
  '   :alt: a diagram',
].join('\n');

describe('parseRestructuredText', () => {
  const parsed = parseRestructuredText(PAGE);
  const section = (heading: string) => parsed.sections.find((each) => each.headings.at(-1) === heading);

  it('should cut sections at titles, nested in the order their adornment styles first appear, and take the first as the title', () => {
    assert.equal(parsed.title, 'getpass --- Portable password input');
    assert.deepEqual(parsed.sections.map((each) => each.headings), [
      ['getpass --- Portable password input'],
      ['getpass --- Portable password input', 'Functions'],
      ['getpass --- Portable password input', 'Functions', 'Details'],
      ['getpass --- Portable password input', 'Other modules'],
    ]);
  });

  it('should read roles, references, literals and emphasis as their text', () => {
    assert.equal(section('getpass --- Portable password input')?.text,
      'Shown in HTML builds.\n\nThe getpass module provides two functions, see the tutorial\nand Reading passwords.');
    const functions = section('Functions')!.text;
    assert.match(functions, /the string prompt, which defaults to 'Password: '\./);
  });

  it("should keep a directive's text argument and content, and drop its options, comments, targets and unread directives", () => {
    const functions = section('Functions')!.text;
    assert.match(functions, /^getpass\(prompt='Password: ', stream=None\)\n\n {3}Prompt the user for a password without echoing/);
    assert.match(functions, /If echo free input is unavailable, it falls back \[#\]_\.\n\nChanged in version 3\.14\n\n {6}On Windows the console is read\./);
    const all = parsed.sections.map((each) => each.text).join('\n');
    for (const unread of ['noindex', 'maxdepth', 'install', 'maintainers', 'getpass-module', 'synopsis', 'linenos', 'python', 'diagram', 'alt:', 'html']) {
      assert.ok(!all.includes(unread), `"${unread}" is not text: ${all}`);
    }
  });

  it('should read a literal block as code after "Example:", and a code block without its language', () => {
    const functions = section('Functions')!.text;
    assert.match(functions, /Example:\n\n {3}import getpass\n {3}pw = getpass\.getpass\(\)\n\n {3}print\(pw\)$/);
  });

  it("should drop table borders and transitions, keep a table's rows, a footnote's text and a field list as name: value", () => {
    assert.equal(section('Details')?.text, '| stream | file   |\n\nOn Windows the console is read directly.');
    assert.equal(section('Other modules')?.text, 'Author: Piers Lauder');
  });

  it('should not take an underline shorter than its line, or an indented line, as a title', () => {
    const doc = parseRestructuredText('Intro\n\nA long line of text\n---\n\n   Indented\n   ========\n');
    assert.deepEqual(doc.sections.map((each) => each.headings), [[]]);
    assert.equal(doc.title, null);
  });

  it('should read substitution references as their definitions, wherever those are, and an undefined one as its name', () => {
    const doc = parseRestructuredText([
      'The |Project| build runs on |version|, see |docs|_ and ``|literal|``.',
      '',
      '|VS_DEFAULT| Registered |reg| and |ellipsis| |logo|',
      '',
      '| a line block stays | as it is',
      'Off || Not Defined  |  YES',
      '',
      '.. |project| replace:: CMake',
      '.. |VS_DEFAULT| replace::',
      '   By default this generator uses the 64-bit variant',
      '   on x64 hosts.',
      '.. |docs|   replace:: **the manual**',
      '.. |reg| unicode:: U+00AE .. registered sign',
      '.. |ellipsis| unicode:: 0x2026 x2026 &#x2026; 8230 U+0000 U+D800',
      '.. |logo| image:: logo.png',
      '   :alt: the logo',
    ].join('\n'));
    assert.deepEqual(doc.sections.map((each) => each.text), [
      'The CMake build runs on version, see the manual and |literal|.\n\n'
      + 'By default this generator uses the 64-bit variant on x64 hosts. Registered ® and …………U+0000U+D800 the logo\n\n'
      + '| a line block stays | as it is\nOff || Not Defined  |  YES',
    ]);
  });

  it('should add at most as much text through substitutions as the document holds', () => {
    const definition = 'x'.repeat(10_000);
    const references = '|big| '.repeat(10_000);
    const input = `${references}\n\n.. |big| replace:: ${definition}\n`;
    const text = parseRestructuredText(input).sections.reduce((sum, each) => sum + each.text.length, 0);
    assert.ok(text <= 2 * input.length, `${text} characters from ${input.length}`);
    assert.ok(text > input.length, 'references within the bound are expanded');
  });

  it('should read hostile input of 1 MB in one pass', function () {
    // Runs of marks that open markup and never close it: a reading that tried each from every
    // position would take minutes at this size.
    this.timeout(20_000);
    const size = 1_000_000;
    const hostile = ['`'.repeat(size), ':a:`'.repeat(size / 4), '.. '.repeat(size / 3), '*'.repeat(size), '|'.repeat(size), '|a| '.repeat(size / 4), '=\n'.repeat(size / 2), `${'a'.repeat(size / 2)}\n${'='.repeat(size / 2)}`];
    for (const input of hostile) {
      const doc = parseRestructuredText(input);
      const text = doc.sections.reduce((sum, each) => sum + each.text.length, 0);
      assert.ok(text <= input.length, `no more text than input: ${text}`);
    }
    assert.equal(parseRestructuredText(hostile.at(-1)!).title, 'a'.repeat(size / 2));
  });
});
