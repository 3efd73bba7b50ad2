import type { TypedArray } from '../ndarray/dtype.js';
import { formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { div, maximum, mul, softplus, sqrt, square, sub, where } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { transpose } from '../ops/movement.js';
import { logSumExp, sum } from '../ops/reduce.js';
import { softplusScalar, sigmoidScalar } from '../kernels/elementwise.js';
import { checkRank, finiteOption, Loss, lossBatchAxis } from './_base/index.js';

/** Options of {@link NTXentLoss}. */
export interface NTXentLossOptions extends Loss.Options {
  /** The temperature τ > 0 that divides every cosine similarity (default 0.07, as Optax). */
  temperature?: number;
}

/** The floor on an embedding's norm (as PyTorch's `F.normalize`): a zero row has cosine 0 with every row. */
const NORM_FLOOR = 1e-12;

/** Per-call settings: each row's label. */
interface NTXentExtra {
  readonly labels: Float64Array;
}

/** Per-call state: the unit rows and the per-row log-sum-exp of the negatives, and the gradient sums. */
interface NTXentState {
  /** u_i = e_i / max(‖e_i‖, floor), row-major (N × D), float64. */
  readonly unit: Float64Array;
  /** max(‖e_i‖, floor). */
  readonly norms: Float64Array;
  /** log Σ_{k negative for i} e^{s_ik} (−∞ for a row without negatives). */
  readonly negativeLogSum: Float64Array;
  /** A row of similarities s_i· (scratch). */
  readonly similarities: Float64Array;
  /** ∂/∂u summed over the backward blocks of one pass (every ℓ_i touches every row). */
  readonly unitGradient: Float64Array;
  /** The gradient array of the pass in progress, and how many rows of ℓ it still waits for. */
  pass: TypedArray | null;
  pending: number;
}

/**
 * The smallest temperature: similarities lie in [−1, 1] (a rounding past), and divided by a
 * smaller one (a subnormal) they overflow to ±Infinity, their log-sum-exp to ∞ − ∞ = NaN.
 */
const MIN_TEMPERATURE = 2 / Number.MAX_VALUE;

/**
 * Normalised temperature-scaled cross-entropy (NT-Xent, the SimCLR / supervised contrastive loss)
 * with Optax `ntxent` semantics: rows of `embeddings` with equal `labels` are positives of each
 * other, every row with another label is a negative, and a row is never compared with itself.
 * With s_ij = cos(e_i, e_j) / τ, P_i the positives of row i (n_i of them) and N_i its negatives:
 *
 * $$
 * \ell_i = \frac{1}{n_i} \sum_{j \in P_i} -\log \frac{e^{s_{ij}}}{e^{s_{ij}} + \sum_{k \in N_i} e^{s_{ik}}}
 *        = \frac{1}{n_i} \sum_{j \in P_i} \operatorname{softplus}\Bigl(\log \sum_{k \in N_i} e^{s_{ik}} - s_{ij}\Bigr)
 * $$
 *
 * and ℓ_i = 0 for a row without positives; then `sampleWeight` and `weight`.
 *
 * **Inputs**: `embeddings` `(N, D)`, real; `labels` N integers (int32, or floats holding
 * integers; a fraction or NaN is a ValueError naming its position), any shape with N elements.
 *
 * **Output**: shape `(N,)`, one value per row.
 *
 * **Options**: `temperature` (default 0.07, > 0; below 2 / Number.MAX_VALUE ≈ 1.1e-308 a
 * ValueError, since similarities / temperature would overflow), `weight` (default none), `batchAxis` (0, the
 * only axis ℓ has).
 *
 * **From Optax**: `optax.losses.ntxent(embeddings, labels, temperature)` is the mean over every
 * positive pair, Σ_i n_i ℓ_i / Σ_i n_i: gloss's per-row ℓ weighted by the positive counts n_i
 * (pass them as `sampleWeight` and divide the sum by Σ n_i). It equals the plain mean of ℓ when
 * every row has the same number of positives (SimCLR's two views per example). Optax divides by
 * the norm with no floor, so a zero embedding gives NaN there; gloss floors the norm at 1e-12
 * (PyTorch's `F.normalize`), so a zero row has cosine 0 with every row.
 *
 * **Gradient**: ∂ℓ_i/∂s_ij = −σ(LN_i − s_ij)/n_i for a positive j and
 * e^{s_ik − LN_i} Σ_j σ(LN_i − s_ij)/n_i for a negative k (LN_i the log-sum-exp of the
 * negatives), then through the cosines to the embeddings.
 *
 * **Stability**: the negatives' log-sum-exp is shifted by their maximum, each term is a softplus
 * (no log of a sum that may round to 1, so a well-separated positive keeps a loss of e^{−20}
 * rather than 0), and every exponential in the gradient has a non-positive exponent. Norms are
 * computed scaled by the row's largest magnitude, so embeddings of any finite size (±1e30 and
 * beyond) give finite results. Memory is O(N·D).
 *
 * @example
 * ```ts
 * const loss = new gluon.loss.NTXentLoss({ temperature: 0.5 });
 * loss.forward(nd.array([[1, 0], [1, 0.1], [0, 1]]), nd.array([0, 0, 1])); // [0.12811635 0.15424964 0]
 * ```
 */
export class NTXentLoss extends Loss<NTXentExtra, NTXentState> {
  /** The class name, kept through minification (messages, registry, toString). */
  static override readonly lossName = 'NTXentLoss';

  readonly inputNames: readonly string[] = ['embeddings', 'labels', 'sampleWeight'];
  /** The temperature τ. */
  readonly temperature: number;

  constructor(options: NTXentLossOptions = {}) {
    super(options, ['temperature']);
    const temperature = finiteOption(this.name, 'temperature', options.temperature, 0.07);
    if (!(temperature >= MIN_TEMPERATURE))
      throw new ValueError(
        `${this.name}: option temperature must be > 0 and at least ${MIN_TEMPERATURE} (similarities / temperature must stay finite), got ${temperature}`,
      );
    this.temperature = temperature;
  }

  /** Labels say which rows are positives: they get no gradient. */
  override get discreteInputs(): readonly string[] {
    return ['labels'];
  }

  protected prepare(inputs: readonly (NDArray | null)[]): Loss.Prepared<NTXentExtra> {
    const embeddings = inputs[0]!;
    checkRank(this.name, 'embeddings', embeddings, 2, 'rows, features');
    const given = inputs[1]!;
    const rows = embeddings.shape[0]!;
    if (given.size !== rows) {
      throw new ShapeError(
        `${this.name}: labels shape ${formatShape(given.shape)} (${given.size} elements) must hold one label per row ` +
          `of embeddings ${formatShape(embeddings.shape)}: give labels the shape [${rows}]`,
      );
    }
    const labels = Float64Array.from(given.data);
    labels.forEach((v, p) => {
      if (!Number.isInteger(v))
        throw new ValueError(`${this.name}: labels at flat position ${p} is ${v}; labels must be integers`);
    });
    const lossShape = [rows];
    const batchAxis = lossBatchAxis(this.name, this.batchAxis, lossShape);
    return { arrays: [embeddings], sources: [0], lossShape, batchAxis, extra: { labels } };
  }

  /** The unit rows and their norms (O(N·D)), filled here; the rest is filled by the forward blocks. */
  protected override createState(prepared: Loss.Prepared<NTXentExtra>): NTXentState {
    const embeddings = prepared.arrays[0]!;
    const [rows, length] = embeddings.shape as [number, number];
    const unit = new Float64Array(rows * length);
    const norms = new Float64Array(rows);
    const e = embeddings.data;
    for (let i = 0; i < rows; i++) {
      const base = i * length;
      // ‖e‖ = m·‖e/m‖ with m the largest magnitude: no overflow or underflow of the squares.
      let largest = 0;
      for (let d = 0; d < length; d++) largest = Math.max(largest, Math.abs(e[base + d]!));
      let squares = 0;
      if (largest > 0 && largest < Number.POSITIVE_INFINITY)
        for (let d = 0; d < length; d++) squares += (e[base + d]! / largest) ** 2;
      const norm = largest < Number.POSITIVE_INFINITY ? largest * Math.sqrt(squares) : largest;
      norms[i] = Number.isNaN(norm) ? norm : Math.max(norm, NORM_FLOOR);
      for (let d = 0; d < length; d++) unit[base + d] = e[base + d]! / norms[i]!;
    }
    return {
      unit,
      norms,
      negativeLogSum: new Float64Array(rows),
      similarities: new Float64Array(rows),
      unitGradient: new Float64Array(rows * length),
      pass: null,
      pending: 0,
    };
  }

  // ℓ is (N,): the block [begin, end) is the rows [begin, end), each against every row.
  protected forwardBlock(call: Loss.ForwardBlockCall<NTXentExtra, NTXentState>): void {
    const { prepared, state, begin, end, out } = call;
    const { labels } = prepared.extra!;
    const { similarities, negativeLogSum } = state;
    for (let i = begin, at = 0; i < end; i++, at++) {
      this.rowSimilarities(prepared, state, i);
      const logSum = negativesLogSum(labels, i, similarities);
      negativeLogSum[i] = logSum;
      let total = 0;
      let positives = 0;
      for (let j = 0; j < labels.length; j++) {
        if (j === i || labels[j] !== labels[i]) continue;
        // −log(e^s / (e^s + e^LN)) = softplus(LN − s).
        total += softplusScalar(logSum - similarities[j]!);
        positives++;
      }
      out[at] = positives === 0 ? 0 : total / positives;
    }
  }

  // Every ℓ_i touches every row: ∂/∂u is summed in float64 over the blocks of a pass and turned
  // into ∂/∂e (assigned) once the last row has arrived.
  protected backwardBlock(call: Loss.BackwardBlockCall<NTXentExtra, NTXentState>): void {
    const { prepared, state, begin, end, dLoss, grads } = call;
    const [dEmbeddings] = grads;
    if (!dEmbeddings) return;
    const { labels } = prepared.extra!;
    const [rows, length] = prepared.arrays[0]!.shape as [number, number];
    const { unit, similarities, negativeLogSum, unitGradient } = state;
    if (state.pass !== dEmbeddings) {
      state.pass = dEmbeddings;
      state.pending = rows;
      unitGradient.fill(0);
    }
    for (let i = begin, at = 0; i < end; i++, at++) {
      let positives = 0;
      for (let j = 0; j < rows; j++) if (j !== i && labels[j] === labels[i]) positives++;
      if (positives === 0) continue;
      this.rowSimilarities(prepared, state, i);
      const logSum = negativeLogSum[i]!;
      const scale = dLoss[at]! / positives / this.temperature;
      // Positives: ∂/∂s_ij = −σ(LN − s_ij); their sum W weights every negative.
      let weight = 0;
      for (let j = 0; j < rows; j++) {
        if (j === i || labels[j] !== labels[i]) continue;
        const share = sigmoidScalar(logSum - similarities[j]!);
        weight += share;
        addPair(unit, unitGradient, length, i, j, -scale * share);
      }
      // Negatives: ∂/∂s_ik = e^{s_ik − LN}·W, with s_ik ≤ LN.
      for (let k = 0; k < rows; k++) {
        if (labels[k] === labels[i]) continue;
        addPair(unit, unitGradient, length, i, k, scale * weight * Math.exp(similarities[k]! - logSum));
      }
    }
    state.pending -= end - begin;
    if (state.pending === 0) projectToEmbeddings(state, rows, length, dEmbeddings);
  }

  /** s_ij = u_i · u_j / τ for every j, into the state's scratch row. */
  private rowSimilarities(prepared: Loss.Prepared<NTXentExtra>, state: NTXentState, i: number): void {
    const [rows, length] = prepared.arrays[0]!.shape as [number, number];
    const { unit, similarities } = state;
    const base = i * length;
    for (let j = 0; j < rows; j++) {
      let dot = 0;
      for (let d = 0, other = j * length; d < length; d++, other++) dot += unit[base + d]! * unit[other]!;
      similarities[j] = dot / this.temperature;
    }
  }

  twin(prepared: Loss.Prepared<NTXentExtra>): NDArray {
    const { labels } = prepared.extra!;
    const embeddings = prepared.arrays[0]!;
    const rows = labels.length;
    const norms = maximum(sqrt(sum(square(embeddings), 1, true)), NORM_FLOOR);
    const unit = div(embeddings, norms);
    const similarities = div(matmul(unit, transpose(unit)), this.temperature);
    const positive = new Float64Array(rows * rows);
    const negative = new Float64Array(rows * rows);
    const counts = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < rows; j++) {
        if (labels[j] !== labels[i]) negative[i * rows + j] = 1;
        else if (j !== i) {
          positive[i * rows + j] = 1;
          counts[i]!++;
        }
      }
    }
    const dtype = embeddings.dtype;
    const negatives = new NDArray(negative, [rows, rows]).astype(dtype);
    const logSum = logSumExp(where(negatives, similarities, Number.NEGATIVE_INFINITY), 1, true);
    const terms = mul(new NDArray(positive, [rows, rows]).astype(dtype), softplus(sub(logSum, similarities)));
    const divisors = new NDArray(
      counts.map((n) => Math.max(n, 1)),
      [rows],
    ).astype(dtype);
    return div(sum(terms, 1), divisors);
  }
}

/** log Σ_{k: label differs from row i's} e^{s_k}, shifted by the maximum (−∞ without negatives; NaN propagates). */
function negativesLogSum(labels: Float64Array, i: number, similarities: Float64Array): number {
  let maximum = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < labels.length; k++) {
    if (labels[k] === labels[i]) continue;
    const s = similarities[k]!;
    if (s > maximum || Number.isNaN(s)) maximum = s;
  }
  if (maximum - maximum !== 0) return maximum;
  let total = 0;
  for (let k = 0; k < labels.length; k++)
    if (labels[k] !== labels[i]) total += Math.exp(similarities[k]! - maximum);
  return maximum + Math.log(total);
}

/** Adds g·u_j to ∂/∂u_i and g·u_i to ∂/∂u_j: the two ways s_ij = u_i·u_j depends on the rows. */
function addPair(
  unit: Float64Array,
  into: Float64Array,
  length: number,
  i: number,
  j: number,
  g: number,
): void {
  const a = i * length;
  const b = j * length;
  for (let d = 0; d < length; d++) {
    into[a + d]! += g * unit[b + d]!;
    into[b + d]! += g * unit[a + d]!;
  }
}

/**
 * ∂/∂e from ∂/∂u with u = e / ‖e‖: (∂u − u (u · ∂u)) / ‖e‖, or ∂u / floor where the norm was
 * floored (u = e / floor is linear there).
 */
function projectToEmbeddings(state: NTXentState, rows: number, length: number, out: TypedArray): void {
  const { unit, norms, unitGradient } = state;
  for (let i = 0; i < rows; i++) {
    const base = i * length;
    const floored = norms[i] === NORM_FLOOR;
    let along = 0;
    if (!floored) for (let d = 0; d < length; d++) along += unit[base + d]! * unitGradient[base + d]!;
    for (let d = 0; d < length; d++)
      out[base + d] = (unitGradient[base + d]! - unit[base + d]! * along) / norms[i]!;
  }
}
