/**
 * A stack of blocks applied one after the other (Gluon's `nn.Sequential`).
 * @module
 */
import { ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { Block } from './block.js';

/**
 * Runs its children in the order they were added, feeding each one's output to the next.
 *
 * @example
 * ```ts
 * const net = new nn.Sequential();
 * net.add(new nn.Dense(128, { activation: 'relu' }), new nn.Dense(10));
 * net.initialize(new init.Xavier());
 * ```
 */
export class Sequential extends Block {
  /** Appends one or several blocks. Returns the Sequential, so calls chain. */
  add(...blocks: Block[]): this {
    for (const block of blocks) this.registerChild(block);
    return this;
  }

  /** Number of blocks. */
  get length(): number {
    return this.children.size;
  }

  /** The block at `index` (negative counts from the end). */
  at(index: number): Block {
    const blocks = [...this.children.values()];
    const block = blocks[index < 0 ? blocks.length + index : index];
    if (!block)
      throw new ValueError(`Sequential.at: index ${index} is out of range for ${blocks.length} blocks`);
    return block;
  }

  forward(x: NDArray): NDArray {
    let out = x;
    for (const block of this.children.values()) out = block.forward(out);
    return out;
  }
}
