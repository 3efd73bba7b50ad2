import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as autograd from '../../src/autograd/index.js';
import { AutogradError } from '../../src/ndarray/errors.js';
import * as nd from '../../src/ndarray/index.js';
import { assertClose, assertThrowsWith } from '../ops/_op-checks.js';

const f64 = { dtype: 'float64' } as const;
const flags = () => [autograd.isRecording(), autograd.isTraining()];

describe('recording and training flags', () => {
  test('both are off by default; record() turns both on and returns the result', () => {
    assert.deepEqual(flags(), [false, false]);
    const inside = autograd.record(() => flags());
    assert.deepEqual(inside, [true, true]);
    assert.deepEqual(flags(), [false, false]);
  });

  test('record({trainMode: false}) records in prediction mode', () => {
    assert.deepEqual(
      autograd.record(() => flags(), { trainMode: false }),
      [true, false],
    );
  });

  test('pause() stops recording and training inside record(), unless trainMode is set', () => {
    autograd.record(() => {
      assert.deepEqual(
        autograd.pause(() => flags()),
        [false, false],
      );
      assert.deepEqual(
        autograd.pause(() => flags(), { trainMode: true }),
        [false, true],
      );
      assert.deepEqual(flags(), [true, true]);
    });
  });

  test('trainMode() and predictMode() change only the training flag', () => {
    assert.deepEqual(
      autograd.trainMode(() => flags()),
      [false, true],
    );
    autograd.record(() => {
      assert.deepEqual(
        autograd.predictMode(() => flags()),
        [true, false],
      );
      assert.deepEqual(
        autograd.predictMode(() => autograd.trainMode(() => flags())),
        [true, true],
      );
    });
  });

  test('scopes restore the previous flags even when the function throws', () => {
    assert.throws(() =>
      autograd.record(() => {
        throw new Error('inside');
      }),
    );
    assert.deepEqual(flags(), [false, false]);
    autograd.record(() => {
      assert.throws(() =>
        autograd.pause(() => {
          throw new Error('inside');
        }),
      );
      assert.deepEqual(flags(), [true, true]);
    });
  });

  test('ops inside pause() are not recorded', () => {
    const x = nd.array([1, 2]).attachGrad();
    const y = autograd.record(() => autograd.pause(() => x.mul(2)));
    assert.equal(y.requiresGrad, false);
    assertThrowsWith(() => y.backward(), AutogradError, 'not part of a recorded graph');
  });
});

describe('detach', () => {
  test('cuts the graph but shares the data', () => {
    const x = nd.array([1, 2, 3], f64).attachGrad();
    autograd.record(() => x.mul(x.detach())).backward();
    assert.deepEqual(x.grad!.toArray(), [1, 2, 3]);
    const d = x.detach();
    assert.equal(d.data, x.data);
    assert.equal(d.requiresGrad, false);
  });
});

describe('autograd.backward', () => {
  test('gradients of several heads add up', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    const [a, b] = autograd.record(() => [x.mul(3), x.square()]);
    autograd.backward([a!, b!]);
    assert.deepEqual(x.grad!.toArray(), [3 + 2, 3 + 4]);
  });

  test('head gradients per head, null meaning ones', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    const [a, b] = autograd.record(() => [x.mul(3), x.square()]);
    autograd.backward([a!, b!], [nd.array([10, 100], f64), null]);
    assert.deepEqual(x.grad!.toArray(), [30 + 2, 300 + 4]);
  });

  test('a single head and retainGraph', () => {
    const x = nd.array([2], f64).attachGrad();
    const y = autograd.record(() => x.square());
    autograd.backward(y, null, { retainGraph: true });
    autograd.backward(y);
    assert.deepEqual(x.grad!.toArray(), [4]);
    assertThrowsWith(() => autograd.backward(y), AutogradError, 'retainGraph');
  });

  test('the number of head gradients must match the heads', () => {
    const x = nd.array([1], f64).attachGrad();
    const y = autograd.record(() => x.mul(2));
    assertThrowsWith(
      () => autograd.backward([y], [null, null]),
      AutogradError,
      'autograd.backward',
      '1 heads',
      '2 head',
    );
  });
});

describe('autograd.grad', () => {
  test('returns gradients and leaves .grad alone', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    const w = nd.array([3, 4], f64).attachGrad();
    const y = autograd.record(() => x.mul(w).sum());
    const [gx, gw] = autograd.grad(y, [x, w]);
    assert.deepEqual(gx!.toArray(), [3, 4]);
    assert.deepEqual(gw!.toArray(), [1, 2]);
    assert.deepEqual(x.grad!.toArray(), [0, 0]);
    assert.equal(gx!.requiresGrad, false);
  });

  test('head gradients, intermediate variables and unreachable variables', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    const unused = nd.array([5], f64).attachGrad();
    let z = x;
    const y = autograd.record(() => {
      z = x.mul(2);
      return z.square();
    });
    const [gz, gx, gUnused] = autograd.grad(y, [z, x, unused], { headGrads: nd.array([1, 10], f64) });
    assert.deepEqual(gz!.toArray(), [4, 80]);
    assert.deepEqual(gx!.toArray(), [8, 160]);
    assert.deepEqual(gUnused!.toArray(), [0]);
  });

  test('returned gradients are private copies', () => {
    const a = nd.array([1], f64).attachGrad();
    const b = nd.array([2], f64).attachGrad();
    const [ga, gb] = autograd.grad(
      autograd.record(() => a.add(b)),
      [a, b],
    );
    ga!.fill(7);
    assert.deepEqual(gb!.toArray(), [1]);
  });

  test('without createGraph the graph is freed', () => {
    const x = nd.array([1], f64).attachGrad();
    const y = autograd.record(() => x.exp());
    autograd.grad(y, x);
    assertThrowsWith(() => autograd.grad(y, x), AutogradError, 'autograd.grad', 'freed');
  });

  test('createGraph gives differentiable gradients: d²/dx² x³ = 6x, d³/dx³ x⁴ = 24x', () => {
    const x = nd.array([0.5, -2, 3], f64).attachGrad();
    const [first] = autograd.grad(
      autograd.record(() => x.pow(3)),
      x,
      { createGraph: true },
    );
    assertClose(first!, [0.75, 12, 27]);
    autograd.record(() => first!).backward();
    assertClose(x.grad!, [3, -12, 18]);

    const [d1] = autograd.grad(
      autograd.record(() => x.pow(4)),
      x,
      { createGraph: true },
    );
    const [d2] = autograd.grad(d1!, x, { createGraph: true });
    const [d3] = autograd.grad(d2!, x);
    assertClose(d3!, [12, -48, 72]);
  });

  test('mixed partials: ∂²(x² y)/∂x∂y = 2x', () => {
    const x = nd.array([1.5], f64).attachGrad();
    const y = nd.array([-4], f64).attachGrad();
    const f = autograd.record(() => x.square().mul(y));
    const [dx] = autograd.grad(f, x, { createGraph: true });
    const [dxy, dxx] = autograd.grad(dx!, [y, x]);
    assertClose(dxy!, [3]);
    assertClose(dxx!, [-8]);
  });

  test('a gradient used inside record() trains through the first derivative (gradient penalty)', () => {
    const w = nd.array([1, -2], f64).attachGrad();
    const x = nd.array([3, 0.5], f64).attachGrad();
    const penalty = autograd.record(() => {
      const [g] = autograd.grad(x.mul(w).square().sum(), x, { createGraph: true });
      return g!.square().sum();
    });
    penalty.backward();
    // g = 2 w² x, penalty = Σ 4 w⁴ x², ∂/∂w = 16 w³ x²
    assertClose(w.grad!, [16 * 9, 16 * -8 * 0.25]);
  });

  test('the number of head gradients must match the heads', () => {
    const x = nd.array([1], f64).attachGrad();
    const y = autograd.record(() => x.mul(2));
    assertThrowsWith(
      () => autograd.grad(y, x, { headGrads: [null, null] }),
      AutogradError,
      'autograd.grad',
      '2 head',
    );
  });

  test('an int32 variable is an AutogradError, not a silent zero gradient', () => {
    const x = nd.array([1, 2], f64).attachGrad();
    const labels = nd.array([3, 4], { dtype: 'int32' });
    const y = autograd.record(() => x.mul(labels).sum());
    assertThrowsWith(
      () => autograd.grad(y, [x, labels]),
      AutogradError,
      'autograd.grad',
      'variable 1',
      'int32',
      ".astype('float32')",
    );
    assert.deepEqual(autograd.grad(y, x)[0]!.toArray(), [3, 4]);
  });

  test('a head that is not recorded is an AutogradError naming autograd.grad', () => {
    const x = nd.array([1]).attachGrad();
    assertThrowsWith(() => autograd.grad(x.mul(2), x), AutogradError, 'autograd.grad', 'head 0');
  });
});
