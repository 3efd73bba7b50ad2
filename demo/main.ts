/**
 * The gloss demo page: gloss running in the browser, imported through the package entries only
 * (`gloss-ml` and `gloss-ml/plot`). Three panels — a loss and its gradient drawn with
 * `lineChart`, the tutorial's basic cells and their printed NDArrays, and a small MLP trained
 * frame by frame, for regression or for classification with its decision boundary.
 * @module
 */
import { startLossPanel } from './loss-panel.js';
import { startTrainingPanel } from './training-panel.js';
import { renderTutorialCells } from './tutorial-panel.js';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`demo: the page has no element #${id}`);
  return element as T;
}

renderTutorialCells(byId('tutorial-cells'));

startLossPanel({
  picker: byId('loss-picker'),
  options: byId('loss-options'),
  labelName: byId('label-name'),
  label: byId('label-input'),
  from: byId('range-from'),
  to: byId('range-to'),
  status: byId('loss-status'),
  chart: byId('loss-chart'),
});

startTrainingPanel({
  loss: byId('training-loss'),
  restart: byId('training-restart'),
  status: byId('training-status'),
  chart: byId('training-chart'),
  boundary: byId('training-boundary'),
});
