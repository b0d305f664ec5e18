/**
 * Sobol low-discrepancy sequence with optional scrambling (random linear matrix scrambling plus a random digital
 * shift, as in Owen 1998 / Matousek 1998, the scheme scipy.stats.qmc.Sobol uses). Points are computed directly
 * from their index (Gray-code order), so that a suggestion depends only on the seed and how many points came
 * before it: rebuilding an optimizer from its history reproduces the same points.
 *
 * Direction numbers: the first 16 dimensions use Joe and Kuo's initial values (new-joe-kuo-6.21201); further
 * dimensions use primitive polynomials found by search and fixed pseudo-random odd initial values, which keeps
 * the (t, s)-sequence property that scrambling relies on.
 */
import { Rng } from './rng';

const BITS = 32;

/** [degree s, coefficient code a, initial direction numbers m_1..m_s] for dimensions 2..16. */
const JOE_KUO: readonly (readonly [number, number, readonly number[]])[] = [
  [1, 0, [1]],
  [2, 1, [1, 3]],
  [3, 1, [1, 3, 1]],
  [3, 2, [1, 1, 1]],
  [4, 1, [1, 1, 3, 3]],
  [4, 4, [1, 3, 5, 13]],
  [5, 2, [1, 1, 5, 5, 17]],
  [5, 4, [1, 1, 5, 5, 5]],
  [5, 7, [1, 1, 7, 11, 19]],
  [5, 11, [1, 1, 5, 1, 1]],
  [5, 13, [1, 1, 1, 3, 11]],
  [5, 14, [1, 3, 5, 5, 31]],
  [6, 1, [1, 3, 3, 9, 7, 49]],
  [6, 13, [1, 1, 1, 15, 21, 21]],
  [6, 16, [1, 3, 1, 13, 27, 49]],
];

/** Multiplication of polynomials over GF(2) modulo `mod` (degree `deg`), all as bit masks. */
function mulMod(a: number, b: number, mod: number, deg: number): number {
  let r = 0;
  while (b) {
    if (b & 1) r ^= a;
    b >>>= 1;
    a <<= 1;
    if (a & (1 << deg)) a ^= mod;
  }
  return r;
}

function powMod(base: number, e: number, mod: number, deg: number): number {
  let r = 1;
  let b = base;
  while (e > 0) {
    if (e & 1) r = mulMod(r, b, mod, deg);
    b = mulMod(b, b, mod, deg);
    e = Math.floor(e / 2);
  }
  return r;
}

function primeFactors(n: number): number[] {
  const f: number[] = [];
  for (let p = 2; p * p <= n; p++) {
    if (n % p === 0) {
      f.push(p);
      while (n % p === 0) n /= p;
    }
  }
  if (n > 1) f.push(n);
  return f;
}

/** True when the polynomial (bit mask including x^deg and 1) is primitive over GF(2). */
function isPrimitive(poly: number, deg: number): boolean {
  const order = 2 ** deg - 1;
  if (powMod(2, order, poly, deg) !== 1) return false;
  return primeFactors(order).every((q) => powMod(2, order / q, poly, deg) !== 1);
}

let directionCache: Uint32Array[] = [];

/** Direction numbers v_1..v_32 of dimension `d` (0-based). */
function directions(d: number): Uint32Array {
  if (directionCache.length > d) return directionCache[d];
  const out = directionCache.slice();
  const extra = extraPolynomials(Math.max(0, d + 1 - 1 - JOE_KUO.length));
  for (let dim = out.length; dim <= d; dim++) {
    const v = new Uint32Array(BITS);
    if (dim === 0) {
      for (let k = 0; k < BITS; k++) v[k] = (1 << (31 - k)) >>> 0;
    } else {
      let s: number, a: number, m: number[];
      if (dim - 1 < JOE_KUO.length) {
        [s, a] = JOE_KUO[dim - 1];
        m = [...JOE_KUO[dim - 1][2]];
      } else {
        [s, a] = extra[dim - 1 - JOE_KUO.length];
        const rng = new Rng(0x50b01 + dim);
        m = [];
        for (let k = 1; k <= s; k++) m.push((rng.int(2 ** (k - 1)) << 1) | 1);
      }
      for (let k = 0; k < Math.min(s, BITS); k++) v[k] = (m[k] << (31 - k)) >>> 0;
      for (let k = s; k < BITS; k++) {
        let x = v[k - s] ^ (v[k - s] >>> s);
        for (let j = 1; j < s; j++) {
          if ((a >>> (s - 1 - j)) & 1) x ^= v[k - j];
        }
        v[k] = x >>> 0;
      }
    }
    out.push(v);
  }
  directionCache = out;
  return out[d];
}

/** Primitive polynomials beyond Joe and Kuo's table, as [degree, a] in the same coding. */
function extraPolynomials(count: number): [number, number][] {
  const used = new Set(JOE_KUO.map(([s, a]) => `${s}:${a}`));
  const found: [number, number][] = [];
  for (let deg = 6; found.length < count; deg++) {
    for (let a = 0; a < 2 ** (deg - 1) && found.length < count; a++) {
      const poly = (1 << deg) | (a << 1) | 1;
      if (!used.has(`${deg}:${a}`) && isPrimitive(poly, deg)) found.push([deg, a]);
    }
  }
  return found;
}

/** A (possibly scrambled) Sobol sequence in `dim` dimensions. */
export class SobolSequence {
  readonly dim: number;
  private readonly v: Uint32Array[];
  private readonly shift: Uint32Array;

  /** @param rng when given, the sequence is scrambled with randomness drawn from it; otherwise it is the plain sequence. */
  constructor(dim: number, rng?: Rng) {
    this.dim = dim;
    this.v = [];
    this.shift = new Uint32Array(dim);
    for (let d = 0; d < dim; d++) {
      const base = directions(d);
      if (!rng) {
        this.v.push(base);
        continue;
      }
      // Linear matrix scrambling: a random lower-triangular bit matrix with unit diagonal applied to every
      // direction number (bit 31 is the most significant digit).
      const rows = new Uint32Array(BITS);
      for (let r = 0; r < BITS; r++) {
        const below = r === 0 ? 0 : rng.nextUint32() >>> (BITS - r);
        rows[r] = ((below << (BITS - r)) | (1 << (31 - r))) >>> 0;
      }
      const scrambled = new Uint32Array(BITS);
      for (let k = 0; k < BITS; k++) {
        let out = 0;
        for (let r = 0; r < BITS; r++) {
          if (popcount(rows[r] & base[k]) & 1) out |= 1 << (31 - r);
        }
        scrambled[k] = out >>> 0;
      }
      this.v.push(scrambled);
      this.shift[d] = rng.nextUint32();
    }
  }

  /** The point with the given index (0-based), in [0, 1)^dim. */
  point(index: number): Float64Array {
    const gray = index ^ Math.floor(index / 2);
    const p = new Float64Array(this.dim);
    for (let d = 0; d < this.dim; d++) {
      let x = this.shift[d];
      const v = this.v[d];
      for (let k = 0, g = gray; g > 0 && k < BITS; k++, g = Math.floor(g / 2)) {
        if (g & 1) x ^= v[k];
      }
      p[d] = (x >>> 0) / 4294967296;
    }
    return p;
  }
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}
