// gluon.loss.functional: one function per registered loss, named by functionName's rule, equal to
// constructing the loss and calling forward, with an options object recognised as the last
// argument.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALL_LOSSES, functional, functionName, SoftmaxCrossEntropyLoss } from '../../src/loss/index.js';
import { array } from '../../src/ndarray/create.js';
import { RandomGenerator } from '../../src/ndarray/random.js';
import { sampleInputs } from './_sample-inputs.js';

describe('gluon.loss.functional', () => {
  test('names: no Loss suffix, lowerCamelCase, a leading acronym lowercased whole', () => {
    const names = {
      L1Loss: 'l1',
      L2Loss: 'l2',
      SoftmaxCrossEntropyLoss: 'softmaxCrossEntropy',
      SigmoidBinaryCrossEntropyLoss: 'sigmoidBinaryCrossEntropy',
      KLDivLoss: 'klDiv',
      CTCLoss: 'ctc',
      SDMLLoss: 'sdml',
      PoissonNLLLoss: 'poissonNLL',
      NLLLoss: 'nll',
      MSELoss: 'mse',
      SmoothL1Loss: 'smoothL1',
      NTXentLoss: 'ntXent',
    };
    for (const [className, name] of Object.entries(names))
      assert.equal(functionName(className), name, className);
  });

  test('every registered loss has its function, equal to the class', () => {
    assert.equal(Object.keys(functional).length, Object.keys(ALL_LOSSES).length);
    for (const [name, LossClass] of Object.entries(ALL_LOSSES)) {
      const f = functional[functionName(name)];
      assert.equal(typeof f, 'function', `functional.${functionName(name)} for ${name}`);
      const loss = new LossClass();
      const inputs = sampleInputs(loss, new RandomGenerator(2), 'float64')!;
      assert.deepEqual([...f!(...inputs).data], [...loss.forward(...inputs).data], name);
      const summed = f!(...inputs, { reduction: 'sum' });
      assert.deepEqual(
        [...summed.data],
        [...new LossClass({ reduction: 'sum' }).forward(...inputs).data],
        name,
      );
    }
  });

  test('an options object is the last argument; arrays and nulls are inputs', () => {
    const pred = [
      [1, 10],
      [8, 2],
    ];
    const out = functional.softmaxCrossEntropy(pred, [0, 1], { reduction: 'mean' });
    const expected = new SoftmaxCrossEntropyLoss({ reduction: 'mean' }).forward(pred, [0, 1]);
    assert.deepEqual([...out.data], [...expected.data]);
    const weighted = functional.l2(array([1, 2]), array([0, 0]), null, {});
    assert.deepEqual([...weighted.data], [0.5, 2]);
    assert.throws(() => functional.huber([1], [0], { rho: -1 }), /^ValueError: HuberLoss: option rho/);
  });
});
