/**
 * The table of loss views (src/plot/loss-views.ts) is the one place that says how each loss is
 * drawn against one prediction, or why it cannot be. These tests keep it complete: a new loss
 * registered in ALL_LOSSES fails here until it gets a view or a stated reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALL_LOSSES } from '../../src/loss/index.js';
import * as plot from '../../src/plot/index.js';
import { lossesWithoutView, lossView, lossViews, whyNoLossView } from '../../src/plot/loss-views.js';

test('every registered loss has a view or a stated reason for having none, not both', () => {
  for (const name of Object.keys(ALL_LOSSES)) {
    const view = lossView(name);
    const reason = whyNoLossView(name);
    assert.ok(
      view !== undefined || reason !== undefined,
      `${name} is registered in ALL_LOSSES but has neither a view in lossViews nor a reason in lossesWithoutView (src/plot/loss-views.ts)`,
    );
    assert.ok(view === undefined || reason === undefined, `${name} has both a view and a reason for none`);
  }
});

test('the table names only registered losses, each view under its own name', () => {
  for (const name of [...Object.keys(lossViews), ...Object.keys(lossesWithoutView)]) {
    assert.ok(name in ALL_LOSSES, `${name} is in the table but not in ALL_LOSSES`);
  }
  for (const [name, view] of Object.entries(lossViews)) assert.equal(view.name, name);
});

test('every reason is a sentence a user can read', () => {
  for (const [name, reason] of Object.entries(lossesWithoutView)) {
    assert.ok(reason.length > 40, `${name}: ${reason}`);
    assert.match(reason, /^[a-z]/, `${name}: the reason follows "cannot draw it:"`);
    assert.doesNotMatch(reason, /\.$/, `${name}: the message adds its own full stop`);
  }
});

test('every view has a weight option, a finite label and a range inside its domain', () => {
  for (const [name, view] of Object.entries(lossViews)) {
    assert.equal(Object.keys(view.options).at(-1), 'weight', name);
    assert.ok(Number.isFinite(view.defaultLabel({})), name);
    const [from, to] = view.defaultRange({});
    assert.ok(Number.isFinite(from) && Number.isFinite(to) && from < to, `${name}: ${from} to ${to}`);
  }
  assert.deepEqual(
    lossViews.SigmoidBinaryCrossEntropyLoss!.defaultRange({ fromSigmoid: true }),
    [0.001, 0.999],
  );
  assert.deepEqual(lossViews.PoissonNLLLoss!.defaultRange({ fromLogits: false }), [0.05, 5]);
  assert.match(lossViews.KLDivLoss!.unsupported!({ fromLogits: false }) ?? '', /log-softmax/);
  assert.equal(lossViews.KLDivLoss!.unsupported!({}), null);
});

test('lookups ignore names that are not losses (no prototype keys)', () => {
  assert.equal(lossView('toString'), undefined);
  assert.equal(whyNoLossView('constructor'), undefined);
  assert.equal(lossView('CTCLoss'), undefined);
  assert.match(whyNoLossView('CTCLoss') ?? '', /sequence/);
});

test('the plot entry exports the table', () => {
  assert.equal(plot.lossViews, lossViews);
  assert.equal(plot.lossView, lossView);
  assert.equal(plot.lossesWithoutView, lossesWithoutView);
  assert.equal(plot.lossViewTitle(lossViews.HuberLoss!, { rho: 1 }, 0), 'HuberLoss(rho=1), label = 0');
  assert.equal(plot.lossViewTitle(lossViews.PoissonNLLLoss!, {}, 1), 'PoissonNLLLoss(), target = 1');
});

test("the tutorial's loss charts use the table's labels and range", () => {
  // The tutorial is the notebook's twin and keeps its code (fixed labels 0 and 1, x from -5);
  // this ties those numbers to the table instead of restating them a third time.
  const source = readFileSync('examples/tutorial.ts', 'utf8');
  const drawn = [...source.matchAll(/show(Regression|Classification)Loss\(new gloss\.(\w+)\(/g)];
  assert.ok(drawn.length >= 6, `found ${drawn.length} loss charts`);
  for (const [, kind, name] of drawn) {
    const view = lossView(name!);
    assert.ok(view, `the tutorial draws ${name}, which has no view`);
    assert.equal(view.defaultLabel({}), kind === 'Regression' ? 0 : 1, name);
    assert.equal(view.defaultRange({})[0], -5, name);
  }
  assert.match(source, /nd\.arange\(-5, 5, 0\.1\)[\s\S]*nd\.zerosLike\(x\)/);
  assert.match(source, /nd\.arange\(-5, 5, 0\.1\)[\s\S]*nd\.onesLike\(x\)/);
});
