/**
 * Generator of the sequence loss, CTC: logits in either layout, padded label sequences, optional
 * per-sample lengths, and the samples no alignment can fit (their loss is +Infinity).
 */
import type { DType } from '../../../src/ndarray/dtype.js';
import type { RandomGenerator } from '../../../src/ndarray/random.js';
import type { Draft, InputSpec } from './case.js';
import { badValue, batchSize, chance, count, draw, floatOrInt, input, pick } from './draw.js';

export function ctc(g: RandomGenerator, dtype: DType): Draft {
  const options: Record<string, unknown> = {};
  const ntc = chance(g, 0.6);
  const nt = chance(g, 0.6);
  const last = chance(g, 0.7);
  if (!ntc || chance(g, 0.2)) options.layout = ntc ? 'NTC' : 'TNC';
  if (!nt || chance(g, 0.2)) options.labelLayout = nt ? 'NT' : 'TN';
  if (!last || chance(g, 0.2)) options.blankLabel = last ? 'last' : 'first';
  const zeroInfinity = chance(g, 0.3);
  if (zeroInfinity) options.zeroInfinity = true;
  const batch = batchSize(g);
  const time = pick(g, [1, 2, 3, 5, 8]);
  const classes = pick(g, [1, 2, 3, 5]);
  const width = g.nextInt(0, time + 1);
  const predShape = ntc ? [batch, time, classes] : [time, batch, classes];
  const pred = input('pred', predShape, dtype, 'real', draw(g, count(predShape), 'real'), {
    inner: ntc ? time * classes : classes,
    batch,
  });
  const [lowest, highest, padding] = last ? [0, classes - 2, -1] : [1, classes - 1, 0];
  const withLabelLengths = chance(g, 0.3);
  const withPredLengths = chance(g, 0.3);
  const lengths = Array.from({ length: batch }, () => (highest < lowest ? 0 : g.nextInt(0, width + 1)));
  const frames = Array.from({ length: batch }, () => (withPredLengths ? g.nextInt(0, time + 1) : time));
  const labels = new Float64Array(batch * width);
  const infiniteSamples: number[] = [];
  for (let b = 0; b < batch; b++) {
    let repeats = 0;
    for (let j = 0; j < width; j++) {
      const used = j < lengths[b]!;
      const value = used || withLabelLengths ? g.nextInt(lowest, Math.max(highest, lowest) + 1) : padding;
      labels[nt ? b * width + j : j * batch + b] = used || highest >= lowest ? value : padding;
      if (used && j > 0 && labels[nt ? b * width + j - 1 : (j - 1) * batch + b] === value) repeats++;
    }
    if (lengths[b]! + repeats > frames[b]!) infiniteSamples.push(b);
  }
  const labelShape = nt ? [batch, width] : [width, batch];
  const label = input('label', labelShape, floatOrInt(g, dtype), 'discrete', labels, {
    inner: nt ? width : 1,
    batch,
  });
  const lengthInput = (name: string, values: number[]) =>
    input(name, [batch], floatOrInt(g, dtype), 'discrete', Float64Array.from(values), { inner: 1, batch });
  const inputs: (InputSpec | null)[] = [
    pred,
    label,
    withPredLengths ? lengthInput('predLengths', frames) : null,
  ];
  if (withLabelLengths) inputs[3] = lengthInput('labelLengths', lengths);
  const usedSample = lengths.findIndex((n) => n > 0);
  return {
    options,
    inputs,
    batch,
    lossRank: 1,
    lossShape: [batch],
    lossAxis: 0,
    sampleWeightIndex: 4,
    infiniteSamples: zeroInfinity ? [] : infiniteSamples,
    breakShape: () => {
      label.shape = [...labelShape, 1];
      return 'label';
    },
    // DECISIONS 13a: a used label outside the alphabet (or the blank, or a fraction), or a length
    // outside its range, is a ValueError naming that input.
    breakValue:
      batch === 0
        ? undefined
        : () => {
            if (usedSample >= 0 && chance(g, 0.6)) {
              // With blankLabel 'first' the blank 0 is also the padding, valid unless labelLengths is given.
              const blank = last || withLabelLengths ? [last ? classes - 1 : 0] : [];
              const at = nt ? usedSample * width : usedSample;
              label.values[at] = badValue(g, label, [classes, ...blank, 0.5, Number.NaN, -3]);
              return 'label';
            }
            const which = inputs[3] && chance(g, 0.5) ? 3 : 2;
            const bound = which === 3 ? width : time;
            const spec = inputs[which] ?? (inputs[2] = lengthInput('predLengths', frames));
            spec.values = Float64Array.from({ length: spec.shape[0]! }, () =>
              badValue(g, spec, [bound + 1, -1, 0.5, Number.NaN]),
            );
            return spec.name;
          },
  };
}
