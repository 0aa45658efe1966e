/** A random source in [0, 1): seeded in tests so chaos (duplicates, reordering) is reproducible. */
export type RandomSource = () => number;

/** mulberry32: tiny, fast and good enough to decide which webhook to duplicate. Not for secrets. */
export function createSeededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
