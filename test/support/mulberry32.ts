/**
 * mulberry32: a small, fast, seedable pseudo-random generator (32-bit state), so that a randomised
 * test can be replayed exactly from its seed. Numbers in [0, 1), as Math.random gives them.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
