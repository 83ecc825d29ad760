/**
 * The out-of-bounds guard of the fuzz tests: a proxy of `buf` whose element reads must fall
 * inside `[lo, hi)` and which refuses writes. Typed-array methods are bound to the real array
 * so `subarray`/`slice` keep working.
 */
export function guarded(buf: Uint8Array, lo: number, hi: number): Uint8Array {
  return new Proxy(buf, {
    get(target, prop) {
      if (typeof prop === 'string' && !(prop in target)) {
        throw new RangeError(`read of buf[${prop}] (outside the array)`);
      }
      if (typeof prop === 'string' && /^-?\d+$/.test(prop)) {
        const i = Number(prop);
        if (i < lo || i >= hi) throw new RangeError(`read of buf[${i}] outside [${lo}, ${hi})`);
        return target[i];
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    set() {
      throw new Error('a parser wrote to its input');
    },
  });
}
