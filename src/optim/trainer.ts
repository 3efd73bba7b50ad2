/**
 * `gluon.Trainer`: applies an optimizer to a set of parameters after each backward pass.
 * @module
 */
import { AutogradError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { formatShape } from '../ndarray/errors.js';
import { sizeOf } from '../ndarray/shape.js';
import { Parameter } from '../nn/parameter.js';
import { ParameterDict } from '../nn/parameter-dict.js';
import { decodeArrays, encodeArrays } from '../nn/serialization.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { createOptimizer, type OptimizerName, type OptimizerOptionsByName } from './registry.js';

/** What a Trainer accepts as parameters: `collectParams()`'s result, a list, or a name → parameter record. */
export type TrainerParameters = ParameterDict | readonly Parameter[] | Readonly<Record<string, Parameter>>;

/** The `kind` written into saved trainer-state files. */
export const TRAINER_STATES_KIND = 'trainer-states';

function namedParameters(params: TrainerParameters): [string, Parameter][] {
  const where = 'Trainer';
  let entries: [string, Parameter][];
  if (params instanceof ParameterDict) entries = [...params];
  else if (Array.isArray(params))
    entries = (params as readonly Parameter[]).map((p, i) => [`${i}.${p?.name}`, p]);
  else if (params !== null && typeof params === 'object')
    entries = Object.entries(params as Record<string, Parameter>);
  else
    throw new ValueError(
      `${where}: params must be a ParameterDict (from collectParams()), a list or a record of Parameters`,
    );
  const seen = new Set<Parameter>();
  for (const [name, parameter] of entries) {
    if (!(parameter instanceof Parameter)) {
      throw new ValueError(`${where}: params must hold Parameters, but '${name}' is ${String(parameter)}`);
    }
    if (seen.has(parameter)) throw new ValueError(`${where}: parameter '${name}' appears twice`);
    seen.add(parameter);
  }
  return entries;
}

/**
 * Updates parameters with an optimizer (Gluon's `Trainer`).
 *
 * @example
 * ```ts
 * const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
 * const l = autograd.record(() => loss.forward(net.forward(x), y));
 * l.backward();
 * trainer.step(x.shape[0]); // gradients are scaled by 1 / batchSize
 * ```
 */
export class Trainer {
  /** The optimizer applied by {@link step}. */
  readonly optimizer: Optimizer;
  private readonly entries: [string, Parameter][];
  /** The optimizer's rescaleGrad when the trainer was made; step(n) uses scale / n. */
  private readonly scale: number;

  /**
   * @param params What `collectParams()` returns (or a list or record of Parameters).
   * @param optimizer 'sgd', 'adam', 'rmsprop', or an Optimizer instance.
   * @param options The optimizer's options, e.g. `{ learningRate: 0.01 }` (only with a name).
   */
  constructor(
    params: TrainerParameters,
    optimizer: OptimizerName | string | Optimizer,
    options?: OptimizerOptionsByName[OptimizerName],
  ) {
    this.entries = namedParameters(params);
    if (typeof optimizer === 'string') {
      this.optimizer = createOptimizer(optimizer, options ?? {});
    } else {
      if (options !== undefined && Object.keys(options).length > 0) {
        throw new ValueError(
          'Trainer: pass optimizer options to the Optimizer itself when giving an instance, not to the Trainer',
        );
      }
      this.optimizer = optimizer;
    }
    this.scale = this.optimizer.rescaleGrad;
  }

  /** The parameters being trained, by name. */
  get params(): ParameterDict {
    return new ParameterDict(this.entries);
  }

  /** The optimizer's learning rate. */
  get learningRate(): number {
    return this.optimizer.learningRate;
  }

  /** Changes the optimizer's learning rate (Gluon `set_learning_rate`). */
  setLearningRate(learningRate: number): void {
    this.optimizer.setHyperParameters({ learningRate });
  }

  /**
   * One optimization step: rescales gradients by `1 / batchSize` and updates every parameter
   * whose gradReq is not 'null'. A parameter whose gradient has not been written by a backward
   * pass since the last step is an error (usually a bug: part of the model went unused) unless
   * `ignoreStaleGrad` is set, in which case it is skipped.
   */
  step(batchSize: number, ignoreStaleGrad = false): void {
    if (typeof batchSize !== 'number' || !Number.isFinite(batchSize) || batchSize <= 0) {
      throw new ValueError(`Trainer.step: batchSize must be a positive number, got ${String(batchSize)}`);
    }
    this.optimizer.rescaleGrad = this.scale / batchSize;
    // Check every parameter before touching any, so an error leaves the model unchanged.
    const updates: [number, Parameter, NDArray, NDArray][] = [];
    this.entries.forEach(([name, parameter], index) => {
      if (parameter.gradReq === 'null') return;
      const data = parameter.data();
      const grad = parameter.grad();
      if (!parameter.hasFreshGradient) {
        if (ignoreStaleGrad) return;
        throw new AutogradError(
          `Trainer.step: the gradient of parameter '${name}' has not been updated by backward since the last step. ` +
            'Part of the model may not have been used in this iteration; if that is intended, call ' +
            'step(batchSize, true) to skip parameters with stale gradients',
        );
      }
      updates.push([index, parameter, data, grad]);
    });
    for (const [index, parameter, data, grad] of updates) {
      this.optimizer.update(index, data, grad, { lrMult: parameter.lrMult, wdMult: parameter.wdMult });
      parameter.markGradientConsumed();
    }
  }

  /**
   * The optimizer's name, hyper-parameters, update counts and state arrays, packed into bytes
   * (Gluon's `save_states`, which also saves the optimizer).
   */
  statesToBytes(): Uint8Array {
    const snapshot = this.optimizer.getStates();
    const arrays: [string, NDArray][] = [];
    const counts: Record<string, number> = {};
    this.entries.forEach(([name, parameter], index) => {
      const count = snapshot.counts.get(index);
      if (count !== undefined) counts[name] = count;
      const state = snapshot.states.get(index);
      if (!state) return;
      for (const [key, values] of Object.entries(state))
        arrays.push([`${name}/${key}`, new NDArray(values, parameter.shape)]);
    });
    return encodeArrays(TRAINER_STATES_KIND, arrays, {
      optimizer: this.optimizer.name,
      hyperParameters: this.optimizer.hyperParameters(),
      numUpdate: snapshot.numUpdate,
      counts,
    });
  }

  /**
   * Restores what {@link statesToBytes} wrote: hyper-parameters, update counts and state
   * arrays, matched to this trainer's parameters by name. The optimizer must be of the same kind.
   */
  loadStatesFromBytes(bytes: Uint8Array): void {
    const where = 'Trainer.loadStates';
    const { arrays, meta } = decodeArrays(bytes, TRAINER_STATES_KIND, where);
    if (meta.optimizer !== this.optimizer.name) {
      throw new ValueError(
        `${where}: the file holds '${String(meta.optimizer)}' states but this trainer uses '${this.optimizer.name}'`,
      );
    }
    const indexByName = new Map(this.entries.map(([name], index) => [name, index]));
    const counts = new Map<number, number>();
    for (const [name, count] of Object.entries((meta.counts ?? {}) as Record<string, number>)) {
      const index = indexByName.get(name);
      if (index === undefined) {
        throw new ValueError(
          `${where}: the file has states for '${name}', which this trainer does not train`,
        );
      }
      counts.set(index, count);
    }
    const states = new Map<number, OptimizerState>();
    for (const [key, array] of arrays) {
      const slash = key.lastIndexOf('/');
      const name = key.slice(0, slash);
      const index = indexByName.get(name);
      if (index === undefined) {
        throw new ValueError(
          `${where}: the file has states for '${name}', which this trainer does not train`,
        );
      }
      const parameter = this.entries[index]![1];
      if (parameter.shapeKnown && array.size !== sizeOf(parameter.shape)) {
        throw new ValueError(
          `${where}: state '${key}' has shape ${formatShape(array.shape)} but parameter '${name}' has shape ${formatShape(parameter.shape)}`,
        );
      }
      const state = states.get(index) ?? {};
      state[key.slice(slash + 1)] = array.data;
      states.set(index, state);
    }
    this.optimizer.setHyperParameters((meta.hyperParameters ?? {}) as Record<string, unknown>);
    this.optimizer.setStates({ numUpdate: Number(meta.numUpdate ?? 0), counts, states });
  }
}
