/**
 * The third panel: the `gloss train` setting, small — an MLP (2 → 16 → 16 → k, ReLU, Xavier)
 * trained with Adam, one epoch per animation frame, the loss curve redrawn after every epoch.
 * With a regression loss it fits y = 0.8 sin(π x₀) + 0.5 x₁ + noise; with a classification loss
 * it separates two half-moons and also draws its decision boundary after every epoch.
 * @module
 */
import { autograd, gluon, init, type NDArray, nd } from 'gloss-ml';
import { lineChart } from 'gloss-ml/plot';
import {
  accuracy,
  CLASSIFICATION_LOSSES,
  type ClassificationData,
  type ClassificationLoss,
  classOneProbability,
  decisionMapChart,
  isClassificationLoss,
  labelsFor,
  outputUnits,
  twoMoons,
} from './classification.js';

const SAMPLES = 256;
const BATCH_SIZE = 32;
const EPOCHS = 40;
const HIDDEN = 16;
const LEARNING_RATE = 0.01;
const SEED = 0;

/** The regression losses this panel trains with. */
export const TRAINING_LOSSES = ['L2Loss', 'HuberLoss', 'L1Loss'] as const;

/** The page elements this panel reads and writes. */
export interface TrainingPanelElements {
  readonly loss: HTMLSelectElement;
  readonly restart: HTMLButtonElement;
  /**
   * Shows the epoch and loss; also carries them as `data-task`, `data-epoch`, `data-first-loss`,
   * `data-loss` and, for classification, `data-accuracy`.
   */
  readonly status: HTMLElement;
  readonly chart: HTMLElement;
  /** Where the decision boundary of a classifier is drawn (emptied for regression). */
  readonly boundary: HTMLElement;
}

/** Inputs (n × 2, uniform in [-1, 1]²) and regression targets (n × 1), from a seeded generator. */
function regressionData(
  size: number,
  generator: nd.random.RandomGenerator,
): { inputs: Float32Array; targets: Float32Array } {
  const inputs = new Float32Array(size * 2);
  const targets = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const x0 = generator.nextDouble() * 2 - 1;
    const x1 = generator.nextDouble() * 2 - 1;
    inputs[2 * i] = x0;
    inputs[2 * i + 1] = x1;
    targets[i] = 0.8 * Math.sin(Math.PI * x0) + 0.5 * x1 + 0.05 * generator.nextNormal();
  }
  return { inputs, targets };
}

/** Rows `start` to `end` (exclusive) of the data as NDArrays (b × 2 and b × 1). */
function batch(
  data: { inputs: Float32Array; targets: Float32Array },
  start: number,
  end: number,
): [NDArray, NDArray] {
  const rows = end - start;
  return [
    nd.array(data.inputs.slice(2 * start, 2 * end)).reshape([rows, 2]),
    nd.array(data.targets.slice(start, end)).reshape([rows, 1]),
  ];
}

/** Rows `start` to `end` (exclusive) of the moons, with labels in the form `loss` reads. */
function classificationBatch(
  data: ClassificationData,
  loss: ClassificationLoss,
  start: number,
  end: number,
): [NDArray, NDArray] {
  return [
    nd.array(data.inputs.slice(2 * start, 2 * end)).reshape([end - start, 2]),
    labelsFor(loss, data.classes, start, end),
  ];
}

function lossChart(losses: readonly number[], title: string): string {
  const epochs = losses.map((_, i) => i + 1);
  const spansDecade = Math.max(...losses) / Math.min(...losses) >= 10;
  return lineChart([{ label: 'training loss', x: epochs, y: losses }], {
    title,
    xLabel: 'epoch',
    yLabel: 'mean loss',
    yScale: spansDecade ? 'log' : 'linear',
    height: 320,
  });
}

/** Fills the loss list and starts training; Restart (or a new loss) starts over from the same seed. */
export function startTrainingPanel(elements: TrainingPanelElements): void {
  const group = (label: string, names: readonly string[]) => {
    const optgroup = document.createElement('optgroup');
    optgroup.label = label;
    for (const name of names) optgroup.append(new Option(name, name));
    elements.loss.append(optgroup);
  };
  group('regression', TRAINING_LOSSES);
  group('classification (two moons)', CLASSIFICATION_LOSSES);
  // Each run has its own number; a frame of an older run sees a newer number and stops.
  let run = 0;

  const start = () => {
    const thisRun = ++run;
    const lossName = elements.loss.value;
    const classifying = isClassificationLoss(lossName) ? lossName : null;
    const loss = new gluon.loss.ALL_LOSSES[lossName]!();
    const generator = new nd.random.RandomGenerator(SEED);
    const regression = classifying ? null : regressionData(SAMPLES, generator);
    const moons = classifying ? twoMoons(SAMPLES, generator) : null;
    nd.random.seed(SEED);
    const { nn } = gluon;
    const net = new nn.Sequential().add(
      new nn.Dense(HIDDEN, { activation: 'relu' }),
      new nn.Dense(HIDDEN, { activation: 'relu' }),
      new nn.Dense(classifying ? outputUnits(classifying) : 1),
    );
    net.initialize(new init.Xavier());
    const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: LEARNING_RATE });
    const outputs = classifying ? outputUnits(classifying) : 1;
    const title = `MLP 2 → ${HIDDEN} → ${HIDDEN} → ${outputs}, ${lossName}, adam lr=${LEARNING_RATE}`;
    const losses: number[] = [];
    elements.status.textContent = 'training…';
    elements.status.dataset.task = classifying ? 'classification' : 'regression';
    elements.chart.replaceChildren();
    elements.boundary.replaceChildren();
    delete elements.status.dataset.epoch;
    delete elements.status.dataset.accuracy;

    const epoch = () => {
      if (thisRun !== run) return;
      let total = 0;
      for (let begin = 0; begin < SAMPLES; begin += BATCH_SIZE) {
        const end = Math.min(SAMPLES, begin + BATCH_SIZE);
        const [inputs, targets] = classifying
          ? classificationBatch(moons!, classifying, begin, end)
          : batch(regression!, begin, end);
        const perSample = autograd.record(() => loss.forward(net.forward(inputs), targets));
        perSample.backward();
        trainer.step(inputs.shape[0]!);
        total += perSample.sum().item();
      }
      losses.push(total / SAMPLES);
      const latest = losses[losses.length - 1]!;
      elements.status.dataset.epoch = String(losses.length);
      elements.status.dataset.firstLoss = String(losses[0]);
      elements.status.dataset.loss = String(latest);
      let text = `epoch ${losses.length}/${EPOCHS}: mean training loss ${latest.toPrecision(4)} (epoch 1: ${losses[0]!.toPrecision(4)})`;
      if (classifying) {
        const all = nd.array(moons!.inputs).reshape([SAMPLES, 2]);
        const trainingAccuracy = accuracy(classOneProbability(classifying, net.forward(all)), moons!.classes);
        elements.status.dataset.accuracy = String(trainingAccuracy);
        text += `, training accuracy ${(100 * trainingAccuracy).toFixed(1)}%`;
        elements.boundary.innerHTML = decisionMapChart(
          net,
          classifying,
          moons!,
          `decision boundary after epoch ${losses.length}`,
        );
      }
      elements.status.textContent = text;
      elements.chart.innerHTML = lossChart(losses, title);
      if (losses.length < EPOCHS && Number.isFinite(latest)) requestAnimationFrame(epoch);
    };
    requestAnimationFrame(epoch);
  };

  elements.loss.addEventListener('change', start);
  elements.restart.addEventListener('click', start);
  start();
}
