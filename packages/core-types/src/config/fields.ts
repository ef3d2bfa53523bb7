import { z } from 'zod';

/**
 * Field builders shared by the configuration sections. Each builds a zod schema with a default, so that
 * any partial input (a JSON file, an overrides object) parses to a complete configuration.
 */

export const posInt = (def: number) => z.number().int().positive().default(def);
export const nonNegInt = (def: number) => z.number().int().nonnegative().default(def);
export const posNum = (def: number) => z.number().positive().default(def);
export const nonNegNum = (def: number) => z.number().nonnegative().default(def);
export const intRange = (def: number, min: number, max: number) =>
  z.number().int().min(min).max(max).default(def);
export const numRange = (def: number, min: number, max: number) => z.number().min(min).max(max).default(def);
export const unit = (def: number) => z.number().min(0).max(1).default(def);
export const bool = (def: boolean) => z.boolean().default(def);
export const str = (def: string) => z.string().default(def);
export const nonEmpty = (def: string) => z.string().min(1, { message: 'cannot be empty' }).default(def);
export const strList = (def: readonly string[]) => z.array(z.string()).default(() => [...def]);

/** A file or directory name: one path component, no separators, not `.`/`..`. */
export const pathComponent = (def: string) =>
  z
    .string()
    .min(1, { message: 'cannot be empty' })
    .regex(/^(?!\.{1,2}$)[^/\\\0]+$/, {
      message: 'must be a single path component (no slashes, not . or ..)',
    })
    .default(def);

/** A file suffix such as `.tmp` or `.json`. */
export const suffix = (def: string) =>
  z
    .string()
    .regex(/^\.[A-Za-z0-9_.-]+$/, { message: "must start with '.' and contain no separators" })
    .default(def);

/** A string that must compile as a JavaScript regular expression. */
export const regexSource = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a valid regular expression' },
);
