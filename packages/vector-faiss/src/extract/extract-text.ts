/** Text extraction for the document pipeline: txt, md, json, csv, html and pdf. */
import { FFValidationError } from '@ffdb/core-types';
import { csvToText } from './csv-text.js';
import { htmlToText } from './html-text.js';
import { extractPdfText } from './pdf-text.js';

export const EXTRACTABLE_EXTENSIONS = [
  '.txt',
  '.md',
  '.markdown',
  '.json',
  '.csv',
  '.html',
  '.htm',
  '.pdf',
] as const;

export interface ExtractedText {
  text: string;
  format: 'text' | 'markdown' | 'json' | 'csv' | 'html' | 'pdf';
}

function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
}

export async function extractText(input: {
  filename: string;
  bytes: Uint8Array | string;
}): Promise<ExtractedText> {
  if (!input || typeof input.filename !== 'string' || !input.filename) {
    throw new FFValidationError([{ path: 'filename', message: 'must be a non-empty string' }]);
  }
  const { bytes } = input;
  if (!(bytes instanceof Uint8Array) && typeof bytes !== 'string') {
    throw new FFValidationError([{ path: 'content', message: 'must be a Uint8Array or a string' }]);
  }
  const ext = extensionOf(input.filename);
  const asText = () => (typeof bytes === 'string' ? bytes : decodeUtf8(bytes));
  switch (ext) {
    case '.txt':
      return { text: asText(), format: 'text' };
    case '.md':
    case '.markdown':
      return { text: asText(), format: 'markdown' };
    case '.json': {
      const raw = asText();
      try {
        return { text: JSON.stringify(JSON.parse(raw), null, 2), format: 'json' };
      } catch (cause) {
        throw new FFValidationError([{ path: 'content', message: 'is not valid JSON' }], { cause });
      }
    }
    case '.csv':
      return { text: csvToText(asText()), format: 'csv' };
    case '.html':
    case '.htm':
      return { text: htmlToText(asText()), format: 'html' };
    case '.pdf':
      return {
        text: await extractPdfText(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes),
        format: 'pdf',
      };
    default:
      throw new FFValidationError([
        {
          path: 'filename',
          message: `Unsupported file type ${JSON.stringify(ext || '(none)')}; supported: ${EXTRACTABLE_EXTENSIONS.join(' ')}`,
        },
      ]);
  }
}
