import assert from 'node:assert/strict';
import { MAX_METADATA_BYTES } from '../../../schema/domain.ts';
import { MAX_FRONT_MATTER_BYTES, splitFrontMatter } from './front-matter.ts';
import { parseMarkdown } from './markdown.ts';
import { documentMetadata } from '../parsed-document.ts';

const POST = `---
title: Caring for ferns
tags: [plants, home]
draft: false
weight: 3
---

Ferns like damp soil.

## Light

Indirect light suits most ferns.
`;

describe('Markdown front matter', () => {
  it('when a file opens with YAML front matter, should give its fields, and the Markdown after it as the body', () => {
    const split = splitFrontMatter(POST);
    assert.deepEqual(split?.fields, { title: 'Caring for ferns', tags: ['plants', 'home'], draft: false, weight: 3 });
    assert.equal(split?.body, '\nFerns like damp soil.\n\n## Light\n\nIndirect light suits most ferns.\n');
    assert.deepEqual(splitFrontMatter(`\uFEFF---\r\ntitle: x\r\n...\r\nbody`), { fields: { title: 'x' }, body: 'body' });
  });

  it('when parsed, should title the document by it, keep its fields as metadata and its text out of every heading', () => {
    const doc = parseMarkdown(POST);
    assert.equal(doc.title, 'Caring for ferns');
    assert.deepEqual(doc.metadata, { title: 'Caring for ferns', tags: ['plants', 'home'], draft: false, weight: 3 });
    assert.deepEqual(doc.sections, [
      { headings: [], text: 'Ferns like damp soil.' },
      { headings: ['Light'], text: 'Indirect light suits most ferns.' },
    ]);
    // Without a title field the first h1 still titles it.
    assert.equal(parseMarkdown('---\nauthor: Ann\n---\n# Ferns\n\ntext').title, 'Ferns');
  });

  it('when the block is not a YAML mapping, unclosed or too long, should leave the file as Markdown', () => {
    for (const markdown of [
      '---\nA setext heading\n---\n\ntext', // a rule, then a heading: YAML reads a string
      '---\n# a comment only\n---\ntext',
      '---\ntitle: never closed\n\ntext',
      '---\n- a\n- list\n---\ntext',
      '---\ntitle: [unbalanced\n---\ntext',
      `---\nnote: ${'x'.repeat(MAX_FRONT_MATTER_BYTES)}\n---\ntext`,
      'text first\n---\ntitle: x\n---',
    ]) {
      assert.equal(splitFrontMatter(markdown), null, markdown.slice(0, 40));
      assert.equal(parseMarkdown(markdown).metadata, undefined);
    }
  });

  it('when its aliases would expand without bound, should refuse it as front matter and keep the file as text', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const markdown = `---\n${bomb}\n---\nafter`;
    assert.equal(splitFrontMatter(markdown), null);
    assert.ok(parseMarkdown(markdown).sections.some((section) => section.text.includes('after')));
  });

  it('when merged with the client\u2019s metadata, should keep the client\u2019s fields and add the declared ones in order while they fit', () => {
    const big = 'y'.repeat(MAX_METADATA_BYTES);
    const doc = parseMarkdown(`---\nlang: en\nhuge: ${big}\ntitle: Kept\nteam: docs\n---\ntext`);
    assert.equal(doc.title, 'Kept');
    assert.deepEqual(documentMetadata({ team: 'ops', path: 'a.md' }, doc.metadata), { team: 'ops', path: 'a.md', lang: 'en', title: 'Kept' });
    const full = documentMetadata({ note: 'z'.repeat(MAX_METADATA_BYTES - 20) }, { a: 1, b: 'more than fits' });
    assert.deepEqual(Object.keys(full), ['note', 'a']);
    assert.ok(Buffer.byteLength(JSON.stringify(full)) <= MAX_METADATA_BYTES);
    assert.deepEqual(documentMetadata({ lang: 'fr' }), { lang: 'fr' });
  });

  it('when its title is past the title limit, should title the document by its first heading', () => {
    const long = parseMarkdown(`---\ntitle: ${'t'.repeat(1001)}\n---\n# Heading\n\ntext`);
    assert.equal(long.title, 'Heading', 'a title past 1,000 characters is not taken');
  });
});
