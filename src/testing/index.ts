/**
 * Testing utilities (`gloss-ml/testing`): gradient checks by central finite differences in float64,
 * for users who write their own ops with `autograd.customOp`.
 * @module
 */
export {
  checkGradient,
  checkSecondGradient,
  type GradientCheckOptions,
  type GradientCheckResult,
  numericGradient,
  type SecondGradientCheckOptions,
} from './gradcheck.js';
