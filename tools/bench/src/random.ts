/** Seeded randomness shared by every benchmark, so all of them see the same data. */

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `digits` lowercase hex characters drawn from `rand`. */
export function randomHex(rand: () => number, digits: number): string {
  let out = '';
  while (out.length < digits)
    out += Math.floor(rand() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, digits);
}

/** An exponential variate with the given mean. */
export function exponential(rand: () => number, mean: number): number {
  return -mean * Math.log(1 - rand());
}
