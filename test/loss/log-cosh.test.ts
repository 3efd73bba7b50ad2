import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logCosh, LogCoshLoss } from '../../src/loss/log-cosh.js';
import {
  assertClose,
  assertGradients,
  assertSecondDerivative,
  f64,
  valueAndGradients,
} from './_elementwise-checks.js';

describe('LogCoshLoss', () => {
  test('log cosh r on both sides of the switch at |r| = 1, against Math.cosh where it is safe', () => {
    for (const r of [0.3, 0.999999, 1, 1.000001, 2, 10, -0.7, -5]) {
      assertClose([logCosh(r)], [Math.log(Math.cosh(r))], 1e-14, 1e-300, `r = ${r}`);
    }
    // Below, log(cosh r) itself cancels; the series r²/2 − r⁴/12 + r⁶/45 − 17r⁸/2520 is exact to 1e-22 at 0.01.
    const r = 0.01;
    assertClose(
      [logCosh(r)],
      [r ** 2 / 2 - r ** 4 / 12 + r ** 6 / 45 - (17 * r ** 8) / 2520],
      1e-15,
      0,
      'r = 0.01',
    );
  });

  test('stable where log(cosh r) is not: |r| − log 2 beyond 710, r²/2 for tiny r', () => {
    assert.equal(Math.log(Math.cosh(1000)), Number.POSITIVE_INFINITY);
    assert.equal(logCosh(1000), 1000 - Math.LN2);
    assert.equal(logCosh(-1e30), 1e30);
    assert.equal(logCosh(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    assertClose([logCosh(1e-8), logCosh(1e-30)], [5e-17, 5e-61], 1e-15, 0, 'r²/2');
    assert.ok(Number.isNaN(logCosh(Number.NaN)));
  });

  test('gradient is tanh(pred − label), saturating at ±1 without overflow', () => {
    const { loss, grads } = valueAndGradients(new LogCoshLoss(), [
      f64([0, 1000, -1e30, 0.5]),
      f64([0, 0, 0, 0]),
    ]);
    assertClose(loss.data, [0, 1000 - Math.LN2, 1e30, Math.log(Math.cosh(0.5))], 1e-15, 0, 'values');
    assertClose(grads[0]!.data, [0, 1, -1, Math.tanh(0.5)], 1e-15, 0, 'd/dpred');
    assertClose(grads[1]!.data, [0, -1, 1, -Math.tanh(0.5)], 1e-15, 0, 'd/dlabel');
  });

  test('first and second derivatives match finite differences and the twin', () => {
    const pred = f64([
      [0.1, -1.5, 2],
      [0.4, 3, -0.2],
    ]);
    const label = f64([
      [0.3, 0.5, -1],
      [0.2, 0, -0.25],
    ]);
    assertGradients(new LogCoshLoss(), [pred, label]);
    assertSecondDerivative(new LogCoshLoss(), [pred, label], [0, 1], 0, 0);
  });
});
