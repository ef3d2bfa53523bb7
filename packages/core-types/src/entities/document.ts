import { z } from 'zod';
import { IsoTimestamp, Metadata } from './common.js';

export const DocumentRecordSchema = z.object({
  documentId: z.string().min(1),
  /** Stored file name (= documentId). */
  filename: z.string().min(1),
  originalName: z.string(),
  /** Relative key of the bytes inside the store. */
  path: z.string().min(1),
  mimeType: z.string(),
  size: z.number().int().nonnegative(),
  uploadedAt: IsoTimestamp,
  uploadedBy: z.string(),
  analysis: Metadata,
  metadata: Metadata,
});
export type DocumentRecord = z.infer<typeof DocumentRecordSchema>;

export const StoreDocumentInputSchema = z
  .object({
    filename: z.string().min(1),
    originalName: z.string().optional(),
    mimeType: z.string().optional(),
    content: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
    path: z.string().min(1).optional(),
    uploadedBy: z.string().optional(),
    metadata: Metadata.optional(),
  })
  .refine((d) => d.content !== undefined || d.path !== undefined, {
    message: 'content or path is required',
    path: ['content'],
  });
export type StoreDocumentInput = z.infer<typeof StoreDocumentInputSchema>;

/** MIME type by extension, as the reference maps it; anything else is application/octet-stream. */
export const MIME_BY_EXTENSION: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.html': 'text/html',
  '.htm': 'text/html',
};

export function mimeTypeFor(filename: string): string {
  const dot = filename.lastIndexOf('.');
  if (dot < 0) return 'application/octet-stream';
  return MIME_BY_EXTENSION[filename.slice(dot).toLowerCase()] ?? 'application/octet-stream';
}
