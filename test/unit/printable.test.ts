import { describe, expect, it } from 'vitest';
import { printable } from '../../src/text/printable.js';
import { HOSTILE_KEYS, UNSAFE_CHARACTER_OR_LF } from '../helpers/hostileKeys.ts';

describe('printable', () => {
  it.each(Object.entries(HOSTILE_KEYS))('leaves no raw control or bidi character in the %s key', (_, key) => {
    // Act
    const shown = printable(key);
    // Assess
    expect(shown).not.toMatch(UNSAFE_CHARACTER_OR_LF);
    expect(shown.startsWith('hostile/')).toBe(true);
  });

  it('shows each escaped character as the \\uXXXX a shell and JSON read back', () => {
    expect(printable('hostile/invoice\u202Efdp.exe')).toBe('hostile/invoice\\u202efdp.exe');
    expect(printable('\u001b[2J\u009b\u007f\u0000')).toBe('\\u001b[2J\\u009b\\u007f\\u0000');
    expect(JSON.parse(`"${printable('a\u202eb\u001bc')}"`)).toBe('a\u202eb\u001bc');
  });

  it('escapes every C0, DEL, C1 and bidi control and nothing else of the BMP', () => {
    // Prepare
    const escaped: number[] = [];
    // Act
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      if (printable(String.fromCharCode(code)) !== String.fromCharCode(code)) escaped.push(code);
    }
    // Assess
    const expected = [
      ...Array.from({ length: 0x20 }, (_, i) => i),
      ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
      0x061c,
      0x200e,
      0x200f,
      0x2028,
      0x2029,
      0x202a,
      0x202b,
      0x202c,
      0x202d,
      0x202e,
      0x2066,
      0x2067,
      0x2068,
      0x2069,
    ];
    expect(escaped).toEqual(expected);
  });

  it('leaves ordinary text alone, wide characters and emoji included', () => {
    expect(printable('ünïcødé/日本語/📦 report (1).pdf')).toBe('ünïcødé/日本語/📦 report (1).pdf');
    expect(printable('dir\\file.txt')).toBe('dir\\file.txt');
  });

  it('keeps line breaks only when asked, for blocks whose values were escaped one by one', () => {
    expect(printable('a\nb\u001b')).toBe('a\\u000ab\\u001b');
    expect(printable('a\nb\u001b', { keepLineBreaks: true })).toBe('a\nb\\u001b');
    expect(printable('a\r\nb', { keepLineBreaks: true })).toBe('a\\u000d\nb');
  });
});
