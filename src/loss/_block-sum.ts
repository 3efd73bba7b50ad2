/**
 * A gradient that many ℓ elements add into (a broadcast input such as SigmoidBCE's posWeight,
 * KLDiv's broadcast label, or SDML's x2), summed in float64 across the blocks of one backward
 * pass and copied into the final array once every contribution has arrived, so a float32
 * gradient is rounded once, not once per term.
 * @module
 */
import type { TypedArray } from '../ndarray/dtype.js';

export class BlockSum {
  /** The gradient array of the pass in progress. */
  private gradient: TypedArray | null = null;
  /** Where that pass's sums go: the gradient itself if float64, else {@link buffer}. */
  private sums: Float64Array | null = null;
  private buffer: Float64Array | null = null;
  /** Contributions (ℓ or pred elements) not yet added in this pass. */
  private remaining = 0;

  /**
   * @param size elements of the gradient being summed
   * @param contributions how many elements add into it per backward pass
   */
  constructor(
    private readonly size: number,
    private readonly contributions: number,
  ) {}

  /** The float64 array to add into; a new gradient array (a new backward pass) restarts the sums. */
  begin(gradient: TypedArray): Float64Array {
    if (gradient !== this.gradient) {
      this.gradient = gradient;
      this.remaining = this.contributions;
      if (gradient instanceof Float64Array) this.sums = gradient;
      else if (this.buffer === null) this.sums = this.buffer = new Float64Array(this.size);
      else this.sums = this.buffer.fill(0);
    }
    return this.sums!;
  }

  /** Records that `count` more contributions were added; copies the sums out after the last. */
  done(count: number, gradient: TypedArray): void {
    this.remaining -= count;
    if (this.remaining === 0 && this.sums !== gradient) gradient.set(this.sums!);
  }
}
