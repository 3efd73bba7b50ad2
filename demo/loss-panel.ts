/**
 * The first panel: pick a loss, set its options, the fixed label and the prediction range, and
 * see the loss and its gradient drawn by `lossViewChart` from `gloss-ml/plot`, the same SVG code
 * as `gloss plot`. Which losses can be drawn, and how, is the plot entry's table of loss views,
 * the one `gloss plot` and the API docs read.
 * @module
 */
import { autograd, gluon, nd } from 'gloss-ml';
import {
  LOSS_VIEW_POINTS,
  type LossCurve,
  type LossOptionKind,
  type LossOptionValues,
  type LossView,
  linspace,
  lossView,
  lossViewChart,
  lossViewTitle,
  whyNoLossView,
} from 'gloss-ml/plot';

type LossClass = (typeof gluon.loss.ALL_LOSSES)[string];

/** The page elements this panel reads and writes. */
export interface LossPanelElements {
  readonly picker: HTMLSelectElement;
  readonly options: HTMLElement;
  readonly labelName: HTMLElement;
  readonly label: HTMLInputElement;
  readonly from: HTMLInputElement;
  readonly to: HTMLInputElement;
  readonly status: HTMLElement;
  readonly chart: HTMLElement;
}

/**
 * Evaluates `loss` at every prediction against the constant `label`, and its gradient. A 1-D
 * input makes every element its own sample, so the gradient of the summed loss is exactly the
 * elementwise derivative dℓ/dx. (The CLI's twin, src/cli/_loss-curve.ts, is not in a package
 * entry: the plot entry stays free of autograd.)
 */
function lossCurve(loss: gluon.loss.Loss, x: Float64Array, label: number): LossCurve {
  const pred = nd.array(x, { dtype: 'float64' });
  pred.attachGrad();
  const values = autograd.record(() => loss.forward(pred, nd.full(pred.shape, label, { dtype: 'float64' })));
  values.backward();
  return {
    x,
    loss: Float64Array.from(values.data),
    gradient: Float64Array.from(pred.grad!.data),
  };
}

/** The value a freshly made loss has for `option` (its default), or undefined when it has none. */
function defaultOption(lossClass: LossClass, option: string): unknown {
  return (new lossClass() as unknown as Record<string, unknown>)[option];
}

function optionInput(name: string, kind: LossOptionKind, initial: unknown): HTMLElement {
  const wrapper = document.createElement('label');
  wrapper.append(`${name} `);
  let input: HTMLInputElement | HTMLSelectElement;
  if (kind === 'number') {
    input = Object.assign(document.createElement('input'), { type: 'number', step: 'any' });
    input.value = typeof initial === 'number' ? String(initial) : '';
    if (name === 'weight') input.placeholder = 'none';
  } else if (kind === 'boolean') {
    input = Object.assign(document.createElement('input'), { type: 'checkbox' });
    input.checked = initial === true;
  } else {
    input = document.createElement('select');
    for (const choice of kind.choices) input.add(new Option(choice, choice, false, choice === initial));
  }
  input.dataset.option = name;
  wrapper.append(input);
  return wrapper;
}

/** The options as the user set them; empty number fields keep the loss's default. */
function readOptions(view: LossView, container: HTMLElement): LossOptionValues {
  const values: LossOptionValues = {};
  for (const [name, kind] of Object.entries(view.options)) {
    const input = container.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-option="${name}"]`)!;
    if (kind === 'number') {
      const number = (input as HTMLInputElement).valueAsNumber;
      if (Number.isFinite(number)) values[name] = number;
    } else if (kind === 'boolean') {
      values[name] = (input as HTMLInputElement).checked;
    } else {
      values[name] = input.value;
    }
  }
  return values;
}

/**
 * Fills the picker with every loss of `ALL_LOSSES` that has a one-dimensional view (the rest are
 * listed, disabled, so the picker shows the whole registry) and draws the first one. Every edit
 * redraws; an invalid setting shows the loss's own error message instead of a chart.
 */
export function startLossPanel(elements: LossPanelElements, initialLoss = 'HuberLoss'): void {
  const { picker } = elements;
  const drawable = Object.keys(gluon.loss.ALL_LOSSES).filter((name) => lossView(name) !== undefined);
  const others = Object.keys(gluon.loss.ALL_LOSSES).filter((name) => lossView(name) === undefined);
  for (const name of drawable) picker.add(new Option(name, name, false, name === initialLoss));
  if (others.length > 0) {
    const group = document.createElement('optgroup');
    group.label = 'no one-dimensional view (several values per sample)';
    // The table's reason shows as the option's tooltip, so the page says why it cannot draw it.
    for (const name of others) {
      const option = Object.assign(new Option(name, name), { disabled: true });
      option.title = whyNoLossView(name) ?? '';
      group.append(option);
    }
    picker.append(group);
  }

  const current = () => {
    const name = picker.value;
    return { name, lossClass: gluon.loss.ALL_LOSSES[name]!, view: lossView(name)! };
  };

  const resetRange = (view: LossView, values: LossOptionValues) => {
    const [from, to] = view.defaultRange(values);
    elements.from.value = String(from);
    elements.to.value = String(to);
  };

  const draw = () => {
    const { name, lossClass, view } = current();
    elements.status.classList.remove('error');
    try {
      const values = readOptions(view, elements.options);
      const reason = view.unsupported?.(values) ?? null;
      if (reason !== null) throw new Error(`${name} cannot be drawn against one prediction: ${reason}`);
      const label = elements.label.valueAsNumber;
      const from = elements.from.valueAsNumber;
      const to = elements.to.valueAsNumber;
      if (!Number.isFinite(label)) throw new Error(`${view.labelName} must be a number`);
      if (!(from < to)) throw new Error(`the range needs from < to, got from ${from}, to ${to}`);
      const curve = lossCurve(new lossClass(values), linspace(from, to, LOSS_VIEW_POINTS), label);
      elements.chart.innerHTML = lossViewChart(curve, lossViewTitle(view, values, label));
      elements.status.textContent = `${LOSS_VIEW_POINTS} predictions from ${from} to ${to}`;
    } catch (error) {
      // The loss's own ValueError says which option is wrong; show it where the chart was.
      elements.chart.replaceChildren();
      elements.status.classList.add('error');
      elements.status.textContent = (error as Error).message;
    }
  };

  const selectLoss = () => {
    const { lossClass, view } = current();
    elements.options.replaceChildren(
      ...Object.entries(view.options).map(([option, kind]) =>
        optionInput(option, kind, defaultOption(lossClass, option)),
      ),
    );
    elements.labelName.textContent = view.labelName;
    elements.label.value = String(view.defaultLabel({}));
    resetRange(view, readOptions(view, elements.options));
    draw();
  };

  picker.addEventListener('change', selectLoss);
  // 'input' fires on every edit of a field, checkbox or list, so the chart follows as you type.
  elements.options.addEventListener('input', (event) => {
    // A switch such as fromSigmoid changes the prediction's domain, so its range follows.
    const target = event.target as HTMLInputElement;
    if (target.type !== 'number') resetRange(current().view, readOptions(current().view, elements.options));
    draw();
  });
  for (const input of [elements.label, elements.from, elements.to]) input.addEventListener('input', draw);
  selectLoss();
}
