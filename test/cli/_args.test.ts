import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  booleanOption,
  camelCase,
  countOption,
  kebabCase,
  numberOption,
  parseLooseArgs,
} from '../../src/cli/_args.js';

test('options take the next token, =value or nothing; negative numbers are values', () => {
  const { positionals, options } = parseLooseArgs([
    'huber',
    '--rho',
    '2',
    '--from',
    '-5',
    '--to=5',
    '--from-sigmoid',
    '--x',
    '-h',
  ]);
  assert.deepEqual(positionals, ['huber']);
  assert.deepEqual(Object.fromEntries(options), {
    rho: '2',
    from: '-5',
    to: '5',
    fromSigmoid: true,
    x: true,
    help: true,
  });
});

test('an option given twice is an error', () => {
  assert.throws(() => parseLooseArgs(['--rho', '1', '--rho', '2']), /option --rho is given twice/);
});

test('names convert between kebab-case and camelCase', () => {
  assert.equal(camelCase('label-format'), 'labelFormat');
  assert.equal(camelCase('labelFormat'), 'labelFormat');
  assert.equal(kebabCase('batchAxis'), 'batch-axis');
});

test('typed readers accept what they should and name the option otherwise', () => {
  assert.equal(numberOption('from', '-2.5'), -2.5);
  assert.throws(() => numberOption('from', ''), /option --from needs a number, got ""/);
  assert.throws(() => numberOption('from', true), /needs a number, got nothing/);
  assert.equal(countOption('points', '7'), 7);
  assert.throws(
    () => countOption('batchSize', '2.5'),
    /option --batch-size needs a positive integer, got 2.5/,
  );
  assert.equal(booleanOption('fromSigmoid', true), true);
  assert.equal(booleanOption('fromSigmoid', 'no'), false);
  assert.throws(() => booleanOption('fromSigmoid', 'maybe'), /needs true or false/);
});
