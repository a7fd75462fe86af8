import assert from 'node:assert/strict';
import { findPipeTables } from './pipe-tables.ts';

describe('findPipeTables', () => {
  it('should find a Markdown table with outer pipes and aligned columns, and where it sits in the text', () => {
    const table = '| Name | Size |\n| :--- | ---: |\n| fern | 30 cm |\n| moss | 2 cm |';
    const text = `Plants we keep:\n${table}\n\nWater them weekly.`;
    assert.deepEqual(findPipeTables(text), [{
      start: 'Plants we keep:\n'.length,
      end: 'Plants we keep:\n'.length + table.length,
      header: '| Name | Size |\n| :--- | ---: |',
      rows: ['| fern | 30 cm |', '| moss | 2 cm |'],
    }]);
  });

  it('should find tables without outer pipes, each ending at a blank line', () => {
    const text = 'a | b\n--- | ---\n1 | 2\n\nc | d\n-|-\n3 | 4\n5 | 6';
    assert.deepEqual(findPipeTables(text).map(({ header, rows }) => ({ header, rows })), [
      { header: 'a | b\n--- | ---', rows: ['1 | 2'] },
      { header: 'c | d\n-|-', rows: ['3 | 4', '5 | 6'] },
    ]);
  });

  it('should take a one-column table only with its outer pipes, so a Markdown rule under a line is none', () => {
    assert.equal(findPipeTables('| Step |\n| --- |\n| mix |').length, 1);
    assert.deepEqual(findPipeTables('Tea | coffee\n---\nmore text'), []);
  });

  it('should find none where the delimiter row has another number of cells, is missing, or has no body row', () => {
    assert.deepEqual(findPipeTables('a | b | c\n--- | ---\n1 | 2 | 3'), []);
    assert.deepEqual(findPipeTables('a | b\n1 | 2\n3 | 4'), []);
    assert.deepEqual(findPipeTables('a | b\n--- | ---\n\n1 | 2'), []);
    assert.deepEqual(findPipeTables('a | b\n--- | x-y\n1 | 2'), []);
  });

  it('should not count an escaped pipe as a cell boundary', () => {
    assert.deepEqual(findPipeTables('| a \\| b | c |\n| --- | --- |\n| 1 | 2 |').map((table) => table.rows), [['| 1 | 2 |']]);
    assert.deepEqual(findPipeTables('| a \\| b | c |\n| --- | --- | --- |\n| 1 | 2 | 3 |'), []);
  });
});
