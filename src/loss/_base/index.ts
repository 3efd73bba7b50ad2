/**
 * The loss base: the `Loss` class, the pipelines its calls run through, ℓ's layout and the
 * shared option and shape checks. Loss files import from here.
 * @module
 */
export { asFloat, broadcastOffsets, floatDTypeOf } from './layout.js';
export {
  type BackwardBlockCall,
  type BlockCall,
  type CallReduction,
  type ConfigValue,
  type ForwardBlockCall,
  type ForwardGradientCall,
  type LossConfig,
  type LossInput,
  type LossOptions,
  type LossReduction,
  LOSS_REDUCTIONS,
  Loss,
  type Prepared,
} from './loss.js';
export {
  booleanOption,
  checkBoolean,
  checkChoice,
  checkFinite,
  checkDomain,
  type Domain,
  PROBABILITIES,
  checkRank,
  choiceOption,
  finiteOption,
  integerOption,
  assertSignLabels,
  checkSignLabels,
  lossBatchAxis,
  reshapeLike,
} from './validation.js';
