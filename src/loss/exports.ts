/** One export line per loss (and Gluon's aliases). */
export { L2Loss, type L2LossOptions } from './l2.js';
