/**
 * A deep copy of a decoded record, for handing out records that the block cache keeps.
 *
 * Records are JSON values (plain objects, arrays, strings, numbers, booleans, null), so a plain
 * walk copies them ~10x faster than `structuredClone` (which serialises and deserialises): 50 chat
 * messages take ~20 µs instead of ~190 µs, a large share of a cold page read's CPU. Anything that is
 * not plain JSON (a codec that yields Dates, typed arrays, null-prototype objects, an own
 * `__proto__` key) falls back to `structuredClone`, so the result is always an independent copy.
 */
export function cloneRecord<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const n = value.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = cloneRecord(value[i] as unknown);
    return out as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in src) {
    // Assigning an own `__proto__` key would set the prototype instead of copying the field.
    if (k === '__proto__') return structuredClone(value);
    out[k] = cloneRecord(src[k]);
  }
  return out as T;
}
