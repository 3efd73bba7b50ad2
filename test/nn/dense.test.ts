import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { record } from '../../src/autograd/index.js';
import { Constant, Xavier } from '../../src/init/initializer.js';
import { L2Loss } from '../../src/loss/l2.js';
import { array, ones } from '../../src/ndarray/create.js';
import { ShapeError, ValueError } from '../../src/ndarray/errors.js';
import { seed, uniform } from '../../src/ndarray/random.js';
import { Dense } from '../../src/nn/dense.js';
import { liveRegionCount } from '../../src/kernels/arena.js';
import { setKernelBackend } from '../../src/kernels/index.js';
import { arenaMemory, wasmScratch } from '../../src/kernels/runtime.js';
import { SoftmaxCrossEntropyLoss } from '../../src/loss/softmax-ce.js';
import { randint } from '../../src/ndarray/random.js';
import { Trainer } from '../../src/optim/trainer.js';
import { DeferredInitializationError, ParameterNotInitializedError } from '../../src/nn/parameter.js';

describe('Dense', () => {
  test('the tutorial cell: deferred Dense(1), L2 loss, backward gives a [1, 4] weight gradient', () => {
    seed(0);
    const X = uniform(0, 1, [2, 4]);
    const y = ones([2]).mul(2);
    const net = new Dense(1);
    net.initialize();
    const l = record(() => new L2Loss().forward(net.forward(X), y));
    assert.deepEqual(l.shape, [2]);
    l.backward();
    const grad = net.weight.grad();
    assert.deepEqual(grad.shape, [1, 4]);
    // dW = Σ_i (out_i − y_i) · x_i for L2 with one element per sample.
    const w = net.weight.data().data;
    const x = X.data;
    for (let k = 0; k < 4; k++) {
      let expected = 0;
      for (let i = 0; i < 2; i++) {
        let out = 0;
        for (let j = 0; j < 4; j++) out += x[i * 4 + j]! * w[j]!;
        expected += (out - 2) * x[i * 4 + k]!;
      }
      assert.ok(Math.abs(grad.data[k]! - expected) < 1e-5, `dW[${k}]`);
    }
  });

  test('toString is Gluon’s: None before the input size is known', () => {
    const net = new Dense(1);
    assert.equal(net.toString(), 'Dense(None -> 1, linear)');
    net.initialize();
    net.forward(ones([2, 4]));
    assert.equal(net.toString(), 'Dense(4 -> 1, linear)');
    assert.equal(
      new Dense(128, { activation: 'relu', inUnits: 10 }).toString(),
      'Dense(10 -> 128, Activation(relu))',
    );
  });

  test('reading the weight before the first forward is a DeferredInitializationError', () => {
    const net = new Dense(3);
    net.initialize();
    assert.throws(() => net.weight.data(), DeferredInitializationError);
    assert.throws(() => net.weight.grad(), /forward pass.*inUnits/s);
  });

  test('a forward before initialize() says to call initialize()', () => {
    assert.throws(() => new Dense(3).forward(ones([2, 4])), ParameterNotInitializedError);
  });

  test('with inUnits the weight exists right after initialize, shaped [units, inUnits]', () => {
    const net = new Dense(3, { inUnits: 5 });
    net.initialize();
    assert.deepEqual(net.weight.data().shape, [3, 5]);
    assert.deepEqual(net.bias!.data().shape, [3]);
    assert.deepEqual(Array.from(net.bias!.data().data), [0, 0, 0]);
  });

  test('the input size is inferred per flatten: prod of non-batch axes, or the last axis', () => {
    const x = uniform(-1, 1, [2, 3, 4]);
    const flat = new Dense(5).initialize();
    assert.deepEqual(flat.forward(x).shape, [2, 5]);
    assert.equal(flat.inUnits, 12);
    const lastAxis = new Dense(5, { flatten: false }).initialize();
    assert.deepEqual(lastAxis.forward(x).shape, [2, 3, 5]);
    assert.deepEqual(lastAxis.weight.shape, [5, 4]);
  });

  test('activations: relu, sigmoid, tanh, softrelu, softsign', () => {
    const x = array([[-2, 0.5]]);
    const net = (activation: 'relu' | 'sigmoid' | 'tanh' | 'softrelu' | 'softsign') =>
      new Dense(1, { activation, inUnits: 2, weightInitializer: new Constant(1) })
        .initialize()
        .forward(x)
        .item();
    // Pre-activation: −2 + 0.5 = −1.5.
    const z = -1.5;
    const expected = {
      relu: 0,
      sigmoid: 1 / (1 + Math.exp(-z)),
      tanh: Math.tanh(z),
      softrelu: Math.log1p(Math.exp(z)),
      softsign: z / (1 + Math.abs(z)),
    };
    for (const [name, value] of Object.entries(expected)) {
      assert.ok(Math.abs(net(name as keyof typeof expected) - value) < 1e-6, name);
    }
  });

  test('the weight’s own initializer wins over the one given to initialize; the bias keeps zeros', () => {
    const net = new Dense(2, { inUnits: 2, weightInitializer: new Constant(0.5) });
    net.initialize(new Xavier());
    assert.deepEqual(Array.from(net.weight.data().data), [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(Array.from(net.bias!.data().data), [0, 0]);
    const withBias = new Dense(2, { inUnits: 2, biasInitializer: new Constant(1) }).initialize();
    assert.deepEqual(Array.from(withBias.bias!.data().data), [1, 1]);
  });

  test('useBias false: no bias parameter', () => {
    const net = new Dense(2, { useBias: false, inUnits: 3 }).initialize(new Constant(1));
    assert.equal(net.bias, null);
    assert.deepEqual([...net.collectParams().keys()], ['weight']);
    assert.deepEqual(net.forward(ones([1, 3])).toArray(), [[3, 3]]);
  });

  test('an input of the wrong size after initialization is a ShapeError', () => {
    const net = new Dense(2, { inUnits: 3 }).initialize();
    assert.throws(() => net.forward(ones([1, 4])), ShapeError);
    assert.throws(() => net.forward(ones([])), /at least 1 axis/);
  });

  test('option validation', () => {
    assert.throws(() => new Dense(0), ValueError);
    assert.throws(
      () => new Dense(2, { activation: 'gelu' as 'relu' }),
      /activation must be one of 'relu', 'sigmoid', 'tanh', 'softrelu', 'softsign', got "gelu"/,
    );
    assert.throws(() => new Dense(2, { in_units: 3 } as object), /unknown option in_units/);
    assert.throws(() => new Dense(2, { inUnits: -1 }), /inUnits/);
  });

  test('2,000 training steps (Dense + SoftmaxCE + SGD, wasm): no region outlives its step, kernel memory stops growing', () => {
    setKernelBackend('wasm');
    try {
      seed(3);
      const x = uniform(0, 1, [64, 784]);
      const labels = randint(0, 10, [64]);
      const net = new Dense(10, { inUnits: 784 }).initialize();
      const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
      const loss = new SoftmaxCrossEntropyLoss();
      const sizes = () => [arenaMemory()!.buffer.byteLength, wasmScratch()!.kernels.memory.buffer.byteLength];
      let afterWarmUp: number[] = [];
      let first = Number.NaN;
      let last = Number.NaN;
      for (let step = 0; step < 2000; step++) {
        const l = record(() => loss.forward(net.forward(x), labels));
        l.backward();
        trainer.step(64);
        assert.equal(liveRegionCount(), 0, `step ${step}: every region was given back`);
        if (step === 2) afterWarmUp = sizes();
        const mean = l.mean().item();
        if (step === 0) first = mean;
        last = mean;
      }
      assert.deepEqual(sizes(), afterWarmUp, 'no growth after the first steps');
      assert.ok(Number.isFinite(last) && last < first, `the loss went down: ${first} → ${last}`);
    } finally {
      setKernelBackend('auto');
    }
  });

  test('float64 layers compute in float64', () => {
    const net = new Dense(1, {
      dtype: 'float64',
      inUnits: 1,
      weightInitializer: new Constant(0.1),
    }).initialize();
    const out = net.forward(array([[3]], { dtype: 'float64' }));
    assert.equal(out.dtype, 'float64');
    assert.equal(out.item(), 0.1 * 3);
  });
});
