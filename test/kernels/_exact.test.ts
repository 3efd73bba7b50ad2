// Exact arithmetic on doubles through scaled BigInts (src/kernels/_exact.ts): every double comes
// back as itself, and a sum or product rounded once equals the float64 operation (which IEEE
// rounds once too) wherever that result is a normal double or overflows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundScaled, SCALE, scaledInteger } from '../../src/kernels/_exact.js';

/** Doubles from random bit patterns (every exponent, subnormals included), finite only. */
function randomDoubles(count: number, seed: number): number[] {
  const bits = new DataView(new ArrayBuffer(8));
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  const values: number[] = [];
  while (values.length < count) {
    bits.setUint32(0, next());
    bits.setUint32(4, next());
    const x = bits.getFloat64(0);
    if (Number.isFinite(x)) values.push(x);
  }
  return values;
}

const edges = [0, -0, 1, -1, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1022, Number.MAX_VALUE, -3.4e38, 0.1];

describe('exact arithmetic on doubles', () => {
  it('a double times 2^1074 is an integer that rounds back to the double', () => {
    for (const x of [...edges, ...randomDoubles(5000, 1)]) {
      const back = roundScaled(scaledInteger(x), SCALE);
      assert.ok(back === x || (x === 0 && back === 0), `${x} came back as ${back}`);
    }
    assert.equal(scaledInteger(1), 1n << 1074n);
    assert.equal(scaledInteger(Number.MIN_VALUE), 1n);
    assert.equal(scaledInteger(-2.5), -(5n << 1073n));
  });

  it('a sum or product rounded once is the float64 result', () => {
    const xs = randomDoubles(4000, 2);
    const ys = randomDoubles(4000, 3);
    for (let i = 0; i < xs.length; i++) {
      const [x, y] = [xs[i]!, ys[i]!];
      const sum = roundScaled(scaledInteger(x) + scaledInteger(y), SCALE);
      assert.ok(sum === x + y || (sum === 0 && x + y === 0), `${x} + ${y}: ${sum} vs ${x + y}`);
      const product = x * y;
      // A subnormal product may round twice (see roundScaled); every other one is correctly rounded.
      if (product !== 0 && Math.abs(product) < 2 ** -1022) continue;
      const exact = roundScaled(scaledInteger(x) * scaledInteger(y), 2 * SCALE);
      assert.ok(exact === product || (exact === 0 && product === 0), `${x} · ${y}: ${exact} vs ${product}`);
    }
  });

  it('keeps what float64 loses: 2^200 − (2^200 − 2^80) is 2^80, and a ~2^1100 total is +Infinity', () => {
    const big = scaledInteger(2 ** 100);
    const small = scaledInteger(2 ** 40);
    // (2^100)² + (2^40 − 2^100)(2^40 + 2^100) = 2^80; float64 gives 0.
    const total = big * big + (small - big) * (small + big);
    assert.equal(roundScaled(total, 2 * SCALE), 2 ** 80);
    assert.equal(2 ** 100 * 2 ** 100 + (2 ** 40 - 2 ** 100) * (2 ** 40 + 2 ** 100), 0);
    assert.equal(roundScaled(scaledInteger(2 ** 600) * scaledInteger(2 ** 500), 2 * SCALE), Infinity);
    assert.equal(roundScaled(-(scaledInteger(2 ** 600) * scaledInteger(2 ** 500)), 2 * SCALE), -Infinity);
    // Ties to even: 1 + 2^−53 is halfway between 1 and its successor.
    assert.equal(roundScaled(scaledInteger(1) + (1n << BigInt(SCALE - 53)), SCALE), 1);
    assert.equal(roundScaled(scaledInteger(1) + (1n << BigInt(SCALE - 53)) + 1n, SCALE), 1 + 2 ** -52);
  });
});
