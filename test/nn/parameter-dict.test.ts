import assert from 'node:assert/strict';
import { test } from 'node:test';
import { One } from '../../src/init/initializer.js';
import { Parameter } from '../../src/nn/parameter.js';
import { ParameterDict } from '../../src/nn/parameter-dict.js';

function makeDict(): ParameterDict {
  return new ParameterDict([
    ['0.weight', new Parameter('weight', { shape: [2, 2] })],
    ['0.bias', new Parameter('bias', { shape: [2], init: 'zeros' })],
  ]);
}

test('ParameterDict is an ordered name → Parameter map', () => {
  const dict = makeDict();
  assert.equal(dict.size, 2);
  assert.deepEqual([...dict.keys()], ['0.weight', '0.bias']);
  assert.equal(dict.get('0.bias')!.name, 'bias');
  assert.ok(dict.has('0.weight') && !dict.has('weight'));
  assert.deepEqual(
    [...dict].map(([name]) => name),
    ['0.weight', '0.bias'],
  );
});

test('initialize uses the default only where a parameter has no initializer of its own', () => {
  const dict = makeDict();
  dict.initialize(new One());
  assert.deepEqual(Array.from(dict.get('0.weight')!.data().data), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(dict.get('0.bias')!.data().data), [0, 0]);
});

test('setGradReq and zeroGrad apply to every parameter', () => {
  const dict = makeDict();
  dict.initialize();
  dict.setGradReq('null');
  assert.ok([...dict.values()].every((p) => p.gradReq === 'null'));
  dict.setGradReq('write');
  dict.zeroGrad();
  assert.deepEqual(Array.from(dict.get('0.bias')!.grad().data), [0, 0]);
});

test('toString lists each parameter under its structural name', () => {
  assert.equal(
    makeDict().toString(),
    'ParameterDict(\n  Parameter 0.weight (shape=(2, 2), dtype=float32)\n  Parameter 0.bias (shape=(2,), dtype=float32)\n)',
  );
});
