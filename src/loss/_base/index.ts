/**
 * The loss base: the `Loss` class, the pipelines its calls run through, ℓ's layout and the
 * shared option and shape checks. Loss files import from here.
 * @module
 */
export { broadcastOffsets } from './layout.js';
export { type LossInput, type LossOptions, Loss, type Prepared } from './loss.js';
export {
  checkBoolean,
  checkChoice,
  checkFinite,
  checkRank,
  checkSignLabels,
  lossBatchAxis,
  reshapeLike,
} from './validation.js';
