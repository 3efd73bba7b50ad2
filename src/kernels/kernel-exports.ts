/**
 * The types of the WebAssembly kernel module's exports (kernels.generated.ts, built from
 * src/kernels/*.wat): each kernel's signature, with what its pointers and sizes mean. Loading
 * the module and its scratch memory are runtime.ts's.
 * @module
 */
/**
 * A one-pass residual kernel (residual.wat): `segments` segments of `length` elements of pred
 * and label, a float32 scale and a float64 sum per segment, Huber's ρ (ignored by the others).
 */
export type ResidualSegmentsKernel = (
  pred: number,
  label: number,
  length: number,
  segments: number,
  scales: number,
  rho: number,
  gradient: number,
  sums: number,
) => void;

/**
 * The one-pass binary cross-entropy kernels: `segments` segments of `length` logits x and labels
 * z (z taken as labelScale · label + labelShift), a float32 scale and a float64 sum per segment.
 */
export type SigmoidCrossEntropySegmentsKernel = (
  x: number,
  z: number,
  length: number,
  segments: number,
  scales: number,
  labelScale: number,
  labelShift: number,
  gradient: number,
  sums: number,
) => void;

/** The one-pass triplet kernels: anchor, positive and negative rows, a scale and a sum per row. */
export type TripletSegmentsKernel = (
  anchor: number,
  positive: number,
  negative: number,
  length: number,
  segments: number,
  scales: number,
  margin: number,
  gradient: number,
  sums: number,
) => void;

/**
 * matmul.wat's product: C (row stride in bytes) = A (rows) · B (columns), both read through
 * strides in bytes (A by panels of 4 rows, lanes and steps over k; B by panels of columns and
 * steps over k); `accumulate` ≠ 0 adds to C instead.
 */
export type MatmulTilesKernel = (
  a: number,
  aLane: number,
  aStep: number,
  aPanelStride: number,
  b: number,
  bStep: number,
  bPanelStride: number,
  c: number,
  cStride: number,
  rows: number,
  columns: number,
  inner: number,
  accumulate: number,
  edge: number,
) => void;

/** matmul-packing.wat's strided packer: M(x, k) = src[x·laneStride + k·innerStride] into panels. */
export type PackPanelsKernel = (
  src: number,
  laneStride: number,
  innerStride: number,
  count: number,
  inner: number,
  dst: number,
) => void;

/** matmul-packing.wat's packer for a panel's lanes side by side in src (whole panels only). */
export type PackContiguousPanelsKernel = (
  src: number,
  innerStride: number,
  count: number,
  inner: number,
  dst: number,
) => void;

/**
 * ctc.wat's α recursion of one sample (see ctc.ts): logits, classes, shift, logSum, frames,
 * classOf, skip, count, states, emissions, emissionWidth, alphas, totals, emissionFlags,
 * frameFlags; returns the frames done.
 */
export type CTCAlphaLinearKernel = (...pointersAndSizes: number[]) => number;

/**
 * The operands both binary cross-entropy exports (binary-cross-entropy.wat) start with: the float32
 * logits x and labels z, the positive weights (0: p = 1), the element count, and the affine map
 * z ← labelScale · z + labelShift.
 */
export type LogitCrossEntropyOperands = [
  x: number,
  z: number,
  posWeight: number,
  count: number,
  labelScale: number,
  labelShift: number,
];

/** The exports of the kernel module (pointers are byte offsets into its memory). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  mapExp(src: number, dst: number, count: number): void;
  mapLog(src: number, dst: number, count: number): void;
  mapLog1p(src: number, dst: number, count: number): void;
  mapSoftplus(src: number, dst: number, count: number): void;
  mapSigmoid(src: number, dst: number, count: number): void;
  /** 1 when `count` float32 values from `src` are all finite, else 0 (elementwise.wat). */
  finiteFloats(src: number, count: number): number;
  /** float64 e^x and log x, bit for bit fdlibm's (V8's Math.exp and Math.log): float64-rows.wat. */
  mapExpF64(src: number, dst: number, count: number): void;
  mapLogF64(src: number, dst: number, count: number): void;
  /** total + Σ e^(src[i] − shift) over i < count, i ≠ skip, in index order (float64-rows.wat). */
  expSumF64(src: number, float32: number, count: number, shift: number, skip: number, total: number): number;
  /** dst[i] = scale · e^((src[i] − shift) − logSum), float64 or rounded into float32 (float64-rows.wat). */
  scaledExpF64(
    src: number,
    float32: number,
    count: number,
    shift: number,
    logSum: number,
    scale: number,
    dst: number,
    dstFloat32: number,
  ): void;
  /** The first index of a row's finite maximum, −1 when its maximum is not finite (float64-rows.wat). */
  finiteMaximumAtF64(src: number, float32: number, count: number): number;
  /**
   * total + Σ of KL's (kl ≠ 0) or the cross-entropy's terms over i < count, in index order; Σ z
   * added at massAt ≠ 0, gradientFactor · z written at gradientAt ≠ 0, each term at termsAt ≠ 0
   * (dense-target.wat).
   */
  denseTargetTermSumF64(
    kl: number,
    z: number,
    zFloat32: number,
    x: number,
    xFloat32: number,
    count: number,
    shift: number,
    logSum: number,
    epsilon: number,
    total: number,
    massAt: number,
    gradientAt: number,
    gradientFloat32: number,
    gradientFactor: number,
    termsAt: number,
  ): number;
  /** dst[i] = a[i] − scale · z[i] in float64, rounded once into dst (dense-target.wat). */
  subtractScaledLabelsF64(
    a: number,
    aFloat32: number,
    z: number,
    zFloat32: number,
    count: number,
    scale: number,
    dst: number,
    dstFloat32: number,
  ): void;
  softmaxRowStatistics(
    x: number,
    rows: number,
    classes: number,
    scales: number,
    maxOut: number,
    restOut: number,
    out: number,
    labels: number,
    weights: number,
    uniform: number,
  ): void;
  scaleFloats(values: number, count: number, factor: number): void;
  softmaxRowsScaled(
    x: number,
    rows: number,
    classes: number,
    shift: number,
    coefficient: number,
    out: number,
  ): void;
  sigmoidCrossEntropyForward(...call: [...LogitCrossEntropyOperands, loss: number]): void;
  sigmoidCrossEntropyBackward(
    ...call: [...LogitCrossEntropyOperands, dLoss: number, dX: number, dZ: number, dP: number]
  ): void;
  squaredResidualSegments: ResidualSegmentsKernel;
  absoluteResidualSegments: ResidualSegmentsKernel;
  huberResidualSegments: ResidualSegmentsKernel;
  /** The float32-lane twins of the three above (residual-narrow.wat). */
  squaredResidualSegmentsNarrow: ResidualSegmentsKernel;
  absoluteResidualSegmentsNarrow: ResidualSegmentsKernel;
  huberResidualSegmentsNarrow: ResidualSegmentsKernel;
  sigmoidCrossEntropySegments: SigmoidCrossEntropySegmentsKernel;
  /** The float32-lane twin of sigmoidCrossEntropySegments (binary-cross-entropy-narrow.wat). */
  sigmoidCrossEntropySegmentsNarrow: SigmoidCrossEntropySegmentsKernel;
  tripletSegments: TripletSegmentsKernel;
  /** The float32-lane twin of tripletSegments (triplet-narrow.wat). */
  tripletSegmentsNarrow: TripletSegmentsKernel;
  ctcAlphaLinear: CTCAlphaLinearKernel;
  /** ctc.wat's β recursion of one sample (see ctc.ts); returns 1, or 0 for a fallback. */
  ctcBetaLinear: CTCAlphaLinearKernel;
  /** matmul.wat: the float32 and float64 products; matmul-packing.wat: their packers. */
  matmulTiles: MatmulTilesKernel;
  matmulTilesF64: MatmulTilesKernel;
  matmulTiles5: MatmulTilesKernel;
  /** matmul-packing.wat's widening (float32 → float64) and rounding (float64 → float32) copies: src, dst, count. */
  widenFloat32: (src: number, dst: number, count: number) => void;
  narrowFloat64: (src: number, dst: number, count: number) => void;
  /** sgd.wat: weight, grad (float32 pointers), count, decay, learning rate, rescale, bound. */
  sgdUpdate: (weight: number, grad: number, count: number, ...scalars: number[]) => void;
  /** matmul-row-dots.wat's rows-against-rows float32 product: a, aRow, b, bRow, c, cRow (bytes), rows, columns, inner. */
  matmulRowDots: (...pointersAndSizes: number[]) => void;
  packPanels4: PackPanelsKernel;
  packPanels8: PackPanelsKernel;
  packPanels4F64: PackPanelsKernel;
  packPanelsContiguous4: PackContiguousPanelsKernel;
  /** A row-major A's whole panels of 4 rows (src, row stride, count, inner, dst; see matmul-packing.wat). */
  packRowPanels4: PackContiguousPanelsKernel;
  packPanelsContiguous8: PackContiguousPanelsKernel;
  packPanelsContiguous4F64: PackContiguousPanelsKernel;
}

/** The matrix products with fused multiply-adds (relaxed SIMD), on the scratch module's memory. */
export type FusedMatmulKernels = Pick<
  KernelExports,
  'matmulTiles' | 'matmulTilesF64' | 'matmulTiles5' | 'matmulRowDots'
>;
