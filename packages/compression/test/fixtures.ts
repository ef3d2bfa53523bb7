/** Deterministic test data (no measurement here: speed lives in tools/bench). */

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

const WORDS =
  'the of and to a in that is was he for it with as his on be at by had are but from or have an they which one you were'.split(
    ' ',
  );

export function chatMessages(count: number, seed = 1): Record<string, unknown>[] {
  const rand = mulberry32(seed);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const words: string[] = [];
    const n = 5 + Math.floor(rand() * 60);
    for (let w = 0; w < n; w++) words.push(WORDS[Math.floor(rand() * WORDS.length)] ?? 'x');
    out.push({
      id: `msg_${i.toString(16).padStart(16, '0')}`,
      session_id: 'sess_000000000001',
      role: i % 2 ? 'assistant' : 'user',
      content: `${words.join(' ')}. Ünïcødé ✓ 😀 "quotes"\nnew line`,
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      metadata: { tokens: n, model: i % 3 ? 'gpt' : null, nested: { deep: [1, 2.5, true, null] } },
    });
  }
  return out;
}

export function chatJsonl(count: number, seed = 1): Uint8Array {
  return new TextEncoder().encode(
    chatMessages(count, seed)
      .map((m) => `${JSON.stringify(m)}\n`)
      .join(''),
  );
}

export function randomBytes(length: number, seed = 7): Uint8Array {
  const rand = mulberry32(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rand() * 256);
  return out;
}
