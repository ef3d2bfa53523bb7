import { FFValidationError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { extractText, parseCsv } from '../src/index.js';
import { makeMinimalPdf } from './helpers/minimal-pdf.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('extractText', () => {
  it('reads txt and md as UTF-8 (BOM dropped)', async () => {
    expect(
      await extractText({ filename: 'a.txt', bytes: new Uint8Array([0xef, 0xbb, 0xbf, ...enc('héllo')]) }),
    ).toEqual({ text: 'héllo', format: 'text' });
    expect((await extractText({ filename: 'R.MD', bytes: '# Title' })).format).toBe('markdown');
  });

  it('pretty-prints JSON and rejects invalid JSON', async () => {
    expect((await extractText({ filename: 'x.json', bytes: '{"a":[1,2]}' })).text).toBe(
      '{\n  "a": [\n    1,\n    2\n  ]\n}',
    );
    await expect(extractText({ filename: 'x.json', bytes: '{' })).rejects.toBeInstanceOf(FFValidationError);
  });

  it('parses CSV with real quoting', async () => {
    const csv = 'name,quote\r\n"Smith, J.","He said ""hi""\nthen left"\n\nplain,x\n';
    expect(parseCsv(csv)).toEqual([
      ['name', 'quote'],
      ['Smith, J.', 'He said "hi"\nthen left'],
      ['plain', 'x'],
    ]);
    expect((await extractText({ filename: 't.csv', bytes: 'a,b\n1,"2,5"' })).text).toBe('a, b\n1, 2,5');
  });

  it('strips HTML tags, scripts, styles and comments and decodes entities', async () => {
    const html =
      '<!doctype html><html><head><title>T&amp;C</title><style>p{color:red}</style></head><body>' +
      '<script>alert("x")</script><!-- hidden --><h1>Caf&eacute; &#8364;5 &#x263A;</h1><p>One&nbsp;<b>two</b></p><p>3 &lt; 4</p></body></html>';
    const { text, format } = await extractText({ filename: 'page.html', bytes: html });
    expect(format).toBe('html');
    expect(text).toBe('T&C\nCafé €5 ☺\nOne two\n3 < 4');
  });

  it('extracts the text of a PDF (pure-JS pdf.js)', async () => {
    const pdf = makeMinimalPdf([['Hello PDF world.', 'A second line (with parentheses).'], ['Page two.']]);
    const { text, format } = await extractText({ filename: 'doc.pdf', bytes: pdf });
    expect(format).toBe('pdf');
    expect(text).toBe('Hello PDF world.\nA second line (with parentheses).\n\nPage two.');
    await expect(extractText({ filename: 'bad.pdf', bytes: enc('not a pdf') })).rejects.toBeInstanceOf(
      FFValidationError,
    );
  });

  it('rejects unsupported types', async () => {
    await expect(extractText({ filename: 'x.exe', bytes: 'MZ' })).rejects.toThrow(
      /Unsupported file type ".exe"/,
    );
    await expect(extractText({ filename: 'noext', bytes: 'x' })).rejects.toBeInstanceOf(FFValidationError);
  });
});
