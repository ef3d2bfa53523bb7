/**
 * A user's index manifest (`<prefix>/<userId>/manifest.json`, plain JSON so a person can read it):
 * the persisted segments with their tombstones, and the log positions the persisted data covers.
 * It is the commit point: a segment blob not named here is ignored (and removed on the next load).
 *
 * Several processes write it. Each write merges the writer's view into the manifest on disk, under the
 * storage lock of the manifest's key (see Partition.writeManifest): segments another writer named stay
 * named, so the positions (a per-log maximum) never claim items whose segment is not listed.
 */
import { z } from 'zod';

export const MANIFEST_FORMAT = 1;
/** Retired segment names a manifest remembers (far more than merges can overlap a writer's view). */
export const MAX_RETIRED = 2000;

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
      /**
       * Tombstones by id, set by a writer that does not hold this segment: it deleted an item in a
       * segment merged into this one after it had loaded it (see Partition.carryDeletions). A writer
       * holding the segment turns them into doc numbers. An entry `<id>\n<fingerprint>` deletes only
       * a copy with that text (a copy replaced by a newer one; see Partition.ownDeletions).
       */
      deletedIds: z.array(z.string()).optional(),
      /** Tag of the writer that wrote it (the name's tag when absent; a merge's name has a fresh one). */
      writer: z.string().optional(),
    }),
  ),
  /** Per source log, the next seq not covered by the persisted segments. */
  positions: z.record(z.string(), z.number().int().nonnegative()),
  /**
   * Segments merged away (their items live on in the merge's result): a writer that still holds one
   * in memory leaves it out when it merges its view into this manifest. The newest MAX_RETIRED only.
   */
  retired: z.array(z.string()).optional(),
  /** For retired segments: the segment they were merged into (absent when nothing of them was left). */
  mergedInto: z.record(z.string(), z.string()).optional(),
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
