/**
 * Optimizers by name, for `new Trainer(params, 'adam', {...})` (MXNet `optimizer.create`).
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import { Adam, type AdamOptions } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSProp, type RMSPropOptions } from './rmsprop.js';
import { SGD, type SGDOptions } from './sgd.js';

/** Options for each optimizer name. */
export interface OptimizerOptionsByName {
  sgd: SGDOptions;
  adam: AdamOptions;
  rmsprop: RMSPropOptions;
}

/** The names {@link createOptimizer} knows. */
export type OptimizerName = keyof OptimizerOptionsByName;

const REGISTRY: { [K in OptimizerName]: (options: OptimizerOptionsByName[K]) => Optimizer } = {
  sgd: (options) => new SGD(options),
  adam: (options) => new Adam(options),
  rmsprop: (options) => new RMSProp(options),
};

/** Makes an optimizer from its name (case-insensitive, as in MXNet) and options. */
export function createOptimizer<K extends OptimizerName>(
  name: K | string,
  options: OptimizerOptionsByName[K] | object = {},
): Optimizer {
  const key = typeof name === 'string' ? name.toLowerCase() : name;
  if (!Object.hasOwn(REGISTRY, key)) {
    throw new ValueError(
      `createOptimizer: unknown optimizer ${JSON.stringify(name)}; the optimizers are ${Object.keys(REGISTRY)
        .map((n) => `'${n}'`)
        .join(', ')}`,
    );
  }
  return (REGISTRY[key as OptimizerName] as (options: object) => Optimizer)(options);
}
