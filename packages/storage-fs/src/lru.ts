/** A Map-ordered LRU bounded by entry count and/or a size budget; `onEvict` frees resources. */
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; size: number }>();
  private total = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxSize = Number.POSITIVE_INFINITY,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Whether `key` is held, without making it the most recently used. */
  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V, size = 1): void {
    this.delete(key);
    if (size > this.maxSize || this.maxEntries <= 0) {
      this.onEvict?.(key, value);
      return;
    }
    this.map.set(key, { value, size });
    this.total += size;
    while (this.map.size > this.maxEntries || this.total > this.maxSize) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    const e = this.map.get(key);
    if (!e) return false;
    this.map.delete(key);
    this.total -= e.size;
    this.onEvict?.(key, e.value);
    return true;
  }

  /** Deletes every entry whose key matches. */
  deleteWhere(pred: (key: K) => boolean): void {
    for (const k of [...this.map.keys()]) if (pred(k)) this.delete(k);
  }

  clear(): void {
    for (const k of [...this.map.keys()]) this.delete(k);
  }

  get size(): number {
    return this.map.size;
  }
}
