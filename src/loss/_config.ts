/**
 * `gluon.loss.fromConfig(config)`: the loss a {@link LossConfig} (from `loss.toConfig()`)
 * describes, for every registered loss (ALL_LOSSES), so configs round-trip through JSON.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import type { Loss, LossConfig } from './_base/index.js';
import { ALL_LOSSES } from './_registry.js';
import * as exported from './exports.js';

/**
 * Builds the loss `config` describes: `new gluon.loss[config.className](config.options)`, so the
 * options are validated as by the constructor. Gluon's aliases (`SoftmaxCELoss`,
 * `SigmoidBCELoss`) are accepted as class names too.
 *
 * @example
 * ```ts
 * const config = new gluon.loss.HuberLoss({ rho: 2, reduction: 'mean' }).toConfig();
 * // { className: 'HuberLoss', options: { weight: null, batchAxis: 0, reduction: 'mean', rho: 2 } }
 * const again = gluon.loss.fromConfig(JSON.parse(JSON.stringify(config)));
 * ```
 */
export function fromConfig(config: LossConfig): Loss {
  if (config === null || typeof config !== 'object' || typeof config.className !== 'string') {
    throw new ValueError(
      `fromConfig: config must be an object { className, options } as loss.toConfig() returns, got ${JSON.stringify(config)}`,
    );
  }
  // A Gluon name (ALL_LOSSES) or an alias exported beside it (SoftmaxCELoss …).
  const name = config.className;
  const candidate = Object.hasOwn(exported, name) ? (exported as Record<string, unknown>)[name] : undefined;
  const LossClass = Object.values(ALL_LOSSES).find((known) => known === candidate);
  if (!LossClass) {
    throw new ValueError(
      `fromConfig: unknown className ${JSON.stringify(config.className)}; the losses are ${Object.keys(ALL_LOSSES).join(', ')}`,
    );
  }
  const options = config.options === undefined ? {} : config.options;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`fromConfig: options of ${name} must be an object, got ${JSON.stringify(options)}`);
  }
  return new LossClass({ ...options });
}
