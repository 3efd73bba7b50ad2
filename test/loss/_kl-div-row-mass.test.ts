// KLDivLoss's block backward through the log-softmax with Gluon's class mean (RowMass in
// src/loss/_kl-div-row-mass.ts): rows that a 4096-element block boundary splits get the same
// gradient as the twin's, whole rows too, and a second backward pass (retained graph) restarts
// the row sums.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, grad, record } from '../../src/autograd/index.js';
import { KLDivLoss } from '../../src/loss/kl-div.js';
import { array } from '../../src/ndarray/create.js';
import { normal, RandomGenerator } from '../../src/ndarray/random.js';
import { unevenHead } from './_closure-checks.js';
import { assertClose } from './_elementwise-checks.js';

test('rows split across blocks: pred gradient equals the twin, twice on a retained graph', () => {
  // Samples of 9000 elements in rows of 3000: the blocks of 4096 split rows.
  const shape = [2, 3, 3000];
  const pred = normal(0, 2, shape, { dtype: 'float64', generator: new RandomGenerator(1) });
  const label = normal(0, 1, shape, { dtype: 'float64', generator: new RandomGenerator(2) }).softmax(-1);
  const loss = new KLDivLoss({ fromLogits: false });
  const head = unevenHead(2);
  // The label needs a gradient too, so the call takes the block path.
  const p = array(pred).attachGrad();
  const z = array(label).attachGrad();
  const out = record(() => loss.forward(p, z));
  const twinPred = array(pred).attachGrad();
  const [expected] = grad(
    record(() => loss.reference(twinPred, label)),
    [twinPred],
    { headGrads: head },
  );
  for (let pass = 0; pass < 2; pass++) {
    backward(out, head, { retainGraph: pass === 0 });
    assertClose(p.grad!.data, expected!.data, 1e-12, 1e-16, `pass ${pass}`);
  }
  assert.ok(Array.from(z.grad!.data).every(Number.isFinite));
});
