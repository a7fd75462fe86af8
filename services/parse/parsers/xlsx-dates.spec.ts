import assert from 'node:assert/strict';
import { formatKind, formatSerial } from './xlsx-dates.ts';

describe('XLSX number formats and date serials', () => {
  it('when a custom format code is read, should tell dates and times from numbers despite quoted text, escapes and brackets', () => {
    const cases: [string, string][] = [
      ['yyyy-mm-dd', 'date'], ['[$-409]mmmm d, yyyy', 'date'], ['dd"-"mm"-"yyyy" "hh:mm:ss', 'datetime'],
      ['[h]:mm:ss', 'time'], ['mm:ss.0', 'time'], ['hh:mm AM/PM', 'time'],
      ['0.00', 'number'], ['[Red]#,##0.00;[Blue]-#,##0.00', 'number'], ['"Day "0', 'number'], ['0\\d', 'number'], ['General', 'number'],
    ];
    for (const [code, kind] of cases) assert.equal(formatKind(code), kind, code);
  });

  it('when a serial is formatted, should count from the workbook\'s epoch and keep elapsed hours past a day', () => {
    assert.equal(formatSerial(45_658, 'date', false), '2025-01-01');
    assert.equal(formatSerial(45_658.5, 'date', false), '2025-01-01 12:00:00');
    assert.equal(formatSerial(0, 'date', true), '1904-01-01');
    assert.equal(formatSerial(1.5, 'time', false), '36:00:00');
    assert.equal(formatSerial(1e12, 'date', false), '1000000000000', 'out of range stays the number');
  });
});
