/**
 * `gloss demo`: a short tour of arrays, a loss and its gradient.
 * @module
 */
import { autograd, gluon, nd } from '../index.js';

export function demoCommand(argv: string[], out: (line: string) => void): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    out('Usage: gloss demo\n\nPrints a short tour: arrays, an L2 loss and its gradient.');
    return 0;
  }
  const x = nd.ones([2]);
  const y = nd.ones([2]).mul(2);
  const loss = new gluon.loss.L2Loss();
  out(`x = nd.ones([2]); y = x * 2${x.repr()}${y.repr()}`);
  out(`\nL2Loss()(x, y)${loss.forward(x, y).repr()}`);
  const pred = nd.array([0.5, 1.5, 3]);
  pred.attachGrad();
  const label = nd.array([1, 1, 1]);
  const l = autograd.record(() => loss.forward(pred, label));
  l.backward();
  out(`\npred = [0.5, 1.5, 3]; label = 1; d L2 / d pred = pred - label${pred.grad!.repr()}`);
  return 0;
}
