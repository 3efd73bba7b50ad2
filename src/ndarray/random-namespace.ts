/** `nd.random`: seeded draws. `nd.random.seed(n)` makes every later draw reproducible. */
export { normal, randint, RandomGenerator, seed, uniform } from './random.js';
