/**
 * `gloss-ml/tfjs`: gloss's losses inside TensorFlow.js training. {@link tfjsLoss} turns any gloss
 * loss into a TF.js loss function whose value and gradient gloss computes (so TF.js models get
 * CTC, sample weights in `fit`, sparse labels with label smoothing, metric-learning losses …);
 * {@link packTargets} packs extra inputs into the one `yTrue` that `model.fit` passes;
 * {@link trainStep} is one optimiser step for custom loops.
 *
 * Needs `@tensorflow/tfjs-core` 4.x (an optional peer dependency: only this entry loads it) and a
 * backend. Gloss reads tensors with `dataSync`: free on `cpu`, a copy on `wasm`, and on `webgl` or
 * `webgpu` one transfer to the CPU and back per step.
 * @module
 */
export type { TargetLayout } from './inputs.js';
export { tfjsLoss, type TfjsLossFunction, type TfjsLossOptions } from './loss.js';
export {
  type PackedValue,
  packTargets,
  type TrainableModel,
  trainStep,
  type TrainStepArguments,
} from './train-step.js';
