/**
 * `gloss/testing`: gradient checking for users' own ops and losses.
 * @module
 */
export { checkGradient, numericGradient } from './gradcheck.js';
export type { GradientCheckResult } from './gradcheck.js';
