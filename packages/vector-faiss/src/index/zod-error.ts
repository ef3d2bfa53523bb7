import { FFValidationError } from '@ffdb/core-types';
import type { z } from 'zod';

/** One FFValidationError listing every zod issue with its dotted path (prefixed by `root`). */
export function zodToValidationError(error: z.ZodError, root: string): FFValidationError {
  return new FFValidationError(
    error.issues.map((i) => ({
      path: [root, ...i.path.map(String)].filter(Boolean).join('.'),
      message: i.message,
      ...('maximum' in i && typeof i.maximum === 'number' ? { limit: i.maximum } : {}),
    })),
  );
}
