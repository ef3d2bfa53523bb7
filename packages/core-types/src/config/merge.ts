/** Layer merging shared by loadConfig and validateConfig. */

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Deep merge into a fresh object: objects merge key by key (data maps too, so a file adds an embedding
 * provider without dropping the built-in ones), arrays and scalars are replaced.
 */
export function mergeLayers(...layers: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) if (isPlainObject(layer)) mergeInto(out, layer);
  return out;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    // `__proto__` from JSON.parse is an own key; following it would pollute Object.prototype.
    if (value === undefined || key === '__proto__') continue;
    const current = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(value)) {
      const next: Record<string, unknown> = isPlainObject(current) ? current : {};
      mergeInto(next, value);
      Object.defineProperty(target, key, {
        value: next,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      const v = Array.isArray(value) ? structuredClone(value) : value;
      Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
}
