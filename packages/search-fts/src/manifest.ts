/**
 * A user's index manifest (`<prefix>/<userId>/manifest.json`, plain JSON so a person can read it):
 * the persisted segments with their tombstones, and the log positions the persisted data covers.
 * It is the commit point: a segment blob not named here is ignored (and removed on the next load).
 */
import { z } from 'zod';

export const MANIFEST_FORMAT = 1;

export const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  userId: z.string(),
  updatedAt: z.string(),
  /** Compressor id of the segment blobs (`none` when uncompressed). */
  compressor: z.string(),
  nextSegment: z.number().int().nonnegative(),
  segments: z.array(
    z.object({
      name: z.string().regex(/^seg-\d+(?:-[0-9a-f]{8})?$/),
      docs: z.number().int().nonnegative(),
      live: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      /** Tombstones: doc numbers deleted since the segment was written. */
      deleted: z.array(z.number().int().nonnegative()),
    }),
  ),
  /** Per source log, the next seq not covered by the persisted segments. */
  positions: z.record(z.string(), z.number().int().nonnegative()),
});
export type Manifest = z.infer<typeof ManifestSchema>;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeManifest(m: Manifest): Uint8Array {
  return enc.encode(JSON.stringify(m));
}

/** The manifest, or null when the bytes are not a valid manifest. */
export function decodeManifest(bytes: Uint8Array): Manifest | null {
  try {
    const parsed = ManifestSchema.safeParse(JSON.parse(dec.decode(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
