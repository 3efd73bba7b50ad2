/**
 * Plain hand-fused JS loops with Math.exp / Math.log: what a careful user would write without
 * gloss. The benchmark checks they agree with gloss, then uses them as the speed baseline for
 * the transcendental-bound workloads (W2, W3, W5).
 */

/** Sparse softmax cross-entropy, forward and backward (gradient of the sum of per-sample losses). */
export function plainSoftmaxCe(logits: Float32Array, labels: Int32Array, n: number, c: number) {
  const loss = new Float32Array(n);
  const grad = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    const row = i * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, logits[row + j]!);
    let total = 0;
    for (let j = 0; j < c; j++) total += Math.exp(logits[row + j]! - max);
    const logTotal = Math.log(total);
    loss[i] = logTotal + max - logits[row + labels[i]!]!;
    for (let j = 0; j < c; j++) grad[row + j] = Math.exp(logits[row + j]! - max) / total;
    grad[row + labels[i]!]! -= 1;
  }
  return { loss, grad };
}

/** Sigmoid binary cross-entropy from logits, mean over the last axis, forward and backward. */
export function plainSigmoidBce(logits: Float32Array, labels: Float32Array, n: number, d: number) {
  const loss = new Float32Array(n);
  const grad = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let j = i * d; j < (i + 1) * d; j++) {
      const x = logits[j]!;
      const z = labels[j]!;
      total += Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
      grad[j] = (1 / (1 + Math.exp(-x)) - z) / d;
    }
    loss[i] = total / d;
  }
  return { loss, grad };
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** CTC (blank = 0, NTC layout, full lengths), alpha-beta in log space, forward and backward. */
export function plainCtc(acts: Float32Array, labels: Int32Array, n: number, t: number, c: number, l: number) {
  const loss = new Float32Array(n);
  const grad = new Float32Array(n * t * c);
  const s = 2 * l + 1;
  const logp = new Float64Array(t * c);
  const alpha = new Float64Array(t * s);
  const beta = new Float64Array(t * s);
  for (let b = 0; b < n; b++) {
    for (let f = 0; f < t; f++) {
      const row = (b * t + f) * c;
      let max = -Infinity;
      for (let k = 0; k < c; k++) max = Math.max(max, acts[row + k]!);
      let total = 0;
      for (let k = 0; k < c; k++) total += Math.exp(acts[row + k]! - max);
      const lse = max + Math.log(total);
      for (let k = 0; k < c; k++) logp[f * c + k] = acts[row + k]! - lse;
    }
    const label = (i: number) => (i % 2 === 0 ? 0 : labels[b * l + (i - 1) / 2]!);
    alpha.fill(-Infinity);
    beta.fill(-Infinity);
    alpha[0] = logp[0]!;
    alpha[1] = logp[label(1)]!;
    for (let f = 1; f < t; f++) {
      for (let i = 0; i < s; i++) {
        let a = alpha[(f - 1) * s + i]!;
        if (i > 0) a = logAdd(a, alpha[(f - 1) * s + i - 1]!);
        if (i > 1 && label(i) !== 0 && label(i) !== label(i - 2)) a = logAdd(a, alpha[(f - 1) * s + i - 2]!);
        alpha[f * s + i] = a + logp[f * c + label(i)]!;
      }
    }
    beta[(t - 1) * s + s - 1] = logp[(t - 1) * c]!;
    beta[(t - 1) * s + s - 2] = logp[(t - 1) * c + label(s - 2)]!;
    for (let f = t - 2; f >= 0; f--) {
      for (let i = 0; i < s; i++) {
        let a = beta[(f + 1) * s + i]!;
        if (i < s - 1) a = logAdd(a, beta[(f + 1) * s + i + 1]!);
        if (i < s - 2 && label(i) !== 0 && label(i) !== label(i + 2))
          a = logAdd(a, beta[(f + 1) * s + i + 2]!);
        beta[f * s + i] = a + logp[f * c + label(i)]!;
      }
    }
    const logLikelihood = logAdd(alpha[(t - 1) * s + s - 1]!, alpha[(t - 1) * s + s - 2]!);
    loss[b] = -logLikelihood;
    const occupancy = new Float64Array(c);
    for (let f = 0; f < t; f++) {
      occupancy.fill(-Infinity);
      for (let i = 0; i < s; i++) {
        const k = label(i);
        occupancy[k] = logAdd(occupancy[k]!, alpha[f * s + i]! + beta[f * s + i]!);
      }
      const row = (b * t + f) * c;
      for (let k = 0; k < c; k++) {
        // γ = Σ αβ / (p · y): β includes the emission at f, so divide it out once.
        grad[row + k] =
          Math.exp(logp[f * c + k]!) - Math.exp(occupancy[k]! - logp[f * c + k]! - logLikelihood);
      }
    }
  }
  return { loss, grad };
}
