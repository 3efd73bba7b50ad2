import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Constant, One, Xavier } from '../../src/init/initializer.js';
import { array } from '../../src/ndarray/create.js';
import { record } from '../../src/autograd/index.js';
import { AutogradError, ShapeError, ValueError } from '../../src/ndarray/errors.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { seed, uniform } from '../../src/ndarray/random.js';
import { Block } from '../../src/nn/block.js';
import { Dense } from '../../src/nn/dense.js';
import { Parameter } from '../../src/nn/parameter.js';
import { Sequential } from '../../src/nn/sequential.js';
import { assertThrowsWith } from '../ops/_op-checks.js';
import { corruptParameterFiles, validParameterFile, WEIGHT_VALUES } from './_corrupt-parameter-files.js';

/** Every initialized parameter's bytes (and which are initialized), by structural name. */
function snapshot(block: Block): Map<string, Uint8Array | null> {
  const bytes = new Map<string, Uint8Array | null>();
  for (const [name, parameter] of block.collectParams()) {
    bytes.set(name, parameter.isInitialized ? new Uint8Array(parameter.data().data.slice().buffer) : null);
  }
  return bytes;
}

/** A user-defined block: a scale parameter and a Dense child. */
class Scaled extends Block {
  readonly scale: Parameter;
  readonly inner: Dense;

  constructor(shared?: Dense) {
    super();
    this.scale = this.registerParameter(new Parameter('scale', { shape: [1], init: new Constant(2) }));
    this.inner = this.registerChild(shared ?? new Dense(2), 'inner');
  }

  forward(x: NDArray): NDArray {
    return this.inner.forward(x).mul(this.scale.data());
  }
}

describe('Block', () => {
  test('collectParams walks the tree with structural names', () => {
    const block = new Scaled();
    assert.deepEqual([...block.collectParams().keys()], ['scale', 'inner.weight', 'inner.bias']);
    assert.deepEqual([...block.collectParams('.*weight').keys()], ['inner.weight']);
    assert.deepEqual([...block.collectParams('inner').keys()], ['inner.weight', 'inner.bias']);
    assert.deepEqual([...block.collectParams(/bias$/).keys()], ['inner.bias']);
    assert.deepEqual(
      [...block.collectParams('weight').keys()],
      [],
      'a string matches from the start of the name',
    );
  });

  test('a parameter shared by two children is collected once', () => {
    const dense = new Dense(2);
    const net = new Sequential().add(new Scaled(dense), new Scaled(dense));
    assert.deepEqual(
      [...net.collectParams().keys()],
      ['0.scale', '0.inner.weight', '0.inner.bias', '1.scale'],
    );
  });

  test('initialize: default Uniform(0.07) for weights, own initializers kept', () => {
    seed(1);
    const block = new Scaled();
    assert.equal(block.initialize(), block);
    block.forward(uniform(-1, 1, [3, 4]));
    const weights = Array.from(block.inner.weight.data().data);
    assert.ok(weights.every((w) => Math.abs(w) <= 0.07) && weights.some((w) => w !== 0));
    assert.deepEqual(Array.from(block.inner.bias!.data().data), [0, 0]);
    assert.deepEqual(Array.from(block.scale.data().data), [2]);
  });

  test('initialize with forceReinit re-draws initialized parameters', () => {
    const net = new Dense(2, { inUnits: 2 }).initialize(new One());
    net.initialize(new Xavier(), { forceReinit: true });
    assert.ok(Array.from(net.weight.data().data).some((w) => w !== 1));
  });

  test('registering a duplicate child or parameter name is a ValueError', () => {
    class Broken extends Block {
      constructor() {
        super();
        this.registerChild(new Dense(1), 'a');
        this.registerChild(new Dense(1), 'a');
      }
      forward(x: NDArray): NDArray {
        return x;
      }
    }
    assert.throws(() => new Broken(), /a child named 'a' is already registered/);
  });

  test('hybridize is accepted and changes nothing; call is forward', () => {
    const net = new Dense(1, { inUnits: 2, weightInitializer: new One() }).initialize();
    assert.equal(net.hybridize(), net);
    assert.deepEqual(net.call(array([[1, 2]])).toArray(), [[3]]);
  });

  test('toString of a custom block lists its children', () => {
    assert.equal(new Scaled().toString(), 'Scaled(\n  (inner): Dense(None -> 2, linear)\n)');
  });

  describe('parameters to and from bytes (save/load round trip)', () => {
    test('values round-trip exactly, into a fresh deferred network', () => {
      seed(2);
      const makeNet = () => new Sequential().add(new Dense(4, { activation: 'relu' }), new Dense(2));
      const x = uniform(-1, 1, [3, 5]);
      const net = makeNet().initialize(new Xavier());
      const expected = net.forward(x);
      const bytes = net.parametersToBytes();
      const copy = makeNet();
      copy.loadParametersFromBytes(bytes);
      assert.deepEqual(Array.from(copy.forward(x).data), Array.from(expected.data));
      assert.equal(copy.at(0).toString(), 'Dense(5 -> 4, Activation(relu))');
    });

    test('loading into an initialized network overwrites the values in place', () => {
      const source = new Dense(2, { inUnits: 2 }).initialize(new Constant(0.5));
      const target = new Dense(2, { inUnits: 2 }).initialize(new Constant(3));
      const weight = target.weight.data();
      target.loadParametersFromBytes(source.parametersToBytes());
      assert.equal(target.weight.data(), weight);
      assert.deepEqual(Array.from(weight.data), [0.5, 0.5, 0.5, 0.5]);
    });

    test('missing and extra parameters are errors unless allowed', () => {
      const withBias = new Dense(2, { inUnits: 2 }).initialize();
      const withoutBias = new Dense(2, { inUnits: 2, useBias: false }).initialize(new One());
      assert.throws(
        () => withBias.loadParametersFromBytes(withoutBias.parametersToBytes()),
        /parameter 'bias' is missing from the file/,
      );
      assert.throws(
        () => withoutBias.loadParametersFromBytes(withBias.parametersToBytes()),
        /holds 'bias', which is not a parameter/,
      );
      withBias.loadParametersFromBytes(withoutBias.parametersToBytes(), { allowMissing: true });
      assert.deepEqual(Array.from(withBias.weight.data().data), [1, 1, 1, 1]);
      withoutBias.loadParametersFromBytes(withBias.parametersToBytes(), { ignoreExtra: true });
    });

    test('a shape mismatch is reported', () => {
      const small = new Dense(2, { inUnits: 2 }).initialize();
      const large = new Dense(2, { inUnits: 3 }).initialize();
      assertThrowsWith(
        () => small.loadParametersFromBytes(large.parametersToBytes()),
        ShapeError,
        "Dense.loadParameters: parameter 'weight' has shape [2,3] in the file but [2,2] in this block",
      );
    });

    test('a file from another architecture changes nothing and names the full path', () => {
      // 0.weight and 0.bias fit; 1.weight does not. Loading used to write 0.* before failing.
      const target = new Sequential()
        .add(new Dense(4, { inUnits: 3 }), new Dense(1, { inUnits: 4 }))
        .initialize(new Xavier());
      const other = new Sequential()
        .add(new Dense(4, { inUnits: 3 }), new Dense(2, { inUnits: 4 }))
        .initialize(new Constant(7));
      const before = snapshot(target);
      assertThrowsWith(
        () => target.loadParametersFromBytes(other.parametersToBytes()),
        ShapeError,
        'Sequential.loadParameters',
        "parameter '1.weight' has shape [2,4] in the file but [1,4] in this block",
        'nothing was loaded',
      );
      assert.deepEqual(snapshot(target), before);
    });

    test('a file from another architecture leaves a deferred network uninitialized', () => {
      // The weights wait for the first input (their shapes are [4,0] and [1,0]); the biases exist.
      const target = new Sequential().add(new Dense(4), new Dense(1)).initialize(new One());
      const other = new Sequential()
        .add(new Dense(4, { inUnits: 3 }), new Dense(2, { inUnits: 4 }))
        .initialize(new Constant(7));
      const before = snapshot(target);
      assertThrowsWith(
        () => target.loadParametersFromBytes(other.parametersToBytes()),
        ShapeError,
        "parameter '1.weight' has shape [2,4] in the file but [1,0] in this block (0 = any size)",
      );
      assert.deepEqual(snapshot(target), before);
      const firstWeight = target.at(0).collectParams().get('weight')!;
      assert.equal(firstWeight.isDeferred, true);
      assert.deepEqual(firstWeight.shape, [4, 0]);
    });

    test('loading inside autograd.record() is refused before anything is written', () => {
      // 0.weight is deferred (a load would initialize it, which record allows); 0.bias is
      // initialized and may not be overwritten while recording.
      const target = new Sequential().add(new Dense(4), new Dense(1, { inUnits: 4 })).initialize(new One());
      const source = new Sequential()
        .add(new Dense(4, { inUnits: 3 }), new Dense(1, { inUnits: 4 }))
        .initialize(new Constant(7));
      const before = snapshot(target);
      assertThrowsWith(
        () => record(() => target.loadParametersFromBytes(source.parametersToBytes())),
        AutogradError,
        "parameter '0.bias'",
        'nothing was loaded',
      );
      assert.deepEqual(snapshot(target), before);
      target.loadParametersFromBytes(source.parametersToBytes());
      assert.deepEqual(
        Array.from(target.at(0).collectParams().get('weight')!.data().data),
        Array(12).fill(7),
      );
    });

    test('a corrupt file is a ValueError naming the loader, and the block keeps its values', () => {
      const valid = new Dense(2, { inUnits: 3 }).initialize(new Constant(9));
      valid.loadParametersFromBytes(validParameterFile());
      assert.deepEqual(Array.from(valid.weight.data().data), WEIGHT_VALUES);
      for (const corruption of corruptParameterFiles()) {
        const block = new Dense(2, { inUnits: 3 }).initialize(new Constant(9));
        const before = snapshot(block);
        assertThrowsWith(
          () => block.loadParametersFromBytes(corruption.bytes),
          ValueError,
          'Dense.loadParameters: not a valid gloss parameter file',
          corruption.fragment,
        );
        assert.deepEqual(snapshot(block), before, corruption.name);
      }
    });

    test('saving an uninitialized network explains why it cannot', () => {
      assert.throws(() => new Dense(2).initialize().parametersToBytes(), /deferred/);
      assert.throws(() => new Dense(2, { inUnits: 1 }).parametersToBytes(), /not been initialized/);
    });

    test('other byte buffers are rejected', () => {
      assert.throws(
        () => new Dense(1, { inUnits: 1 }).loadParametersFromBytes(new Uint8Array(20)),
        ValueError,
      );
    });
  });
});
