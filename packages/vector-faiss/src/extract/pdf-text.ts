/**
 * PDF text extraction with Mozilla's pdf.js (pdfjs-dist, legacy Node build): pure JavaScript, maintained,
 * and 5.6.x still supports Node 20.19 (unpdf and pdfjs-dist >= 5.7 need Node 22). Loaded lazily.
 */
import { FFValidationError } from '@ffdb/core-types';

interface TextItem {
  str?: string;
  hasEOL?: boolean;
}

export async function extractPdfText(bytes: Uint8Array): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  // pdf.js takes ownership of (detaches) the buffer it is given: pass a copy.
  const data = new Uint8Array(bytes);
  let doc: Awaited<ReturnType<typeof pdfjs.getDocument>['promise']>;
  try {
    doc = await pdfjs.getDocument({
      data,
      useSystemFonts: false,
      disableFontFace: true,
      isEvalSupported: false,
      verbosity: 0,
    }).promise;
  } catch (cause) {
    throw new FFValidationError(
      [{ path: 'content', message: 'is not a readable PDF (or it is encrypted)' }],
      { cause },
    );
  }
  try {
    const pages: string[] = [];
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items as TextItem[]) {
        if (typeof item.str !== 'string') continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
        else if (item.str && !item.str.endsWith(' ')) text += ' ';
      }
      pages.push(text.replace(/[ \t]+\n/g, '\n').trim());
      page.cleanup();
    }
    return pages.filter(Boolean).join('\n\n');
  } finally {
    await doc.destroy();
  }
}
