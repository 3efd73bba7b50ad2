/**
 * What a kernel thread runs for a share of a call (see threads.ts): the kernel named by the
 * share, on the share's own arrays (views of shared memory), on the worker's own wasm instance.
 * @module
 */
import { runSegments, SEGMENT_KERNELS } from './_segments.js';
import { sparseSoftmaxCrossEntropyGradientRows } from './softmax.js';

/** One share's arrays, each holding exactly the share's samples. */
export interface ShareArrays {
  readonly inputs: readonly Float32Array[];
  readonly labels: Int32Array | null;
  readonly scales: Float64Array;
  readonly sums: Float64Array;
  readonly gradient: Float32Array;
}

/** Runs the share's kernel; throws when it cannot run here (no wasm, unknown kernel). */
export function runShare(
  kernel: string,
  parameters: readonly number[],
  sampleSize: number,
  { inputs, labels, scales, sums, gradient }: ShareArrays,
): void {
  if (kernel === 'softmaxCrossEntropy') {
    if (!labels) throw new Error('a softmaxCrossEntropy share needs labels');
    const x = inputs[0]!;
    sparseSoftmaxCrossEntropyGradientRows({
      x,
      classes: sampleSize,
      labels,
      scales,
      loss: sums,
      out: gradient,
    });
    return;
  }
  const segments = SEGMENT_KERNELS[kernel];
  if (!segments) throw new Error(`no kernel named ${kernel}`);
  const ran = runSegments(
    {
      where: `kernel thread ${kernel}`,
      kernel: segments(parameters),
      inputs: Object.fromEntries(inputs.map((input, i) => [`input ${i}`, input])),
    },
    { sampleSize, scales, sums, gradient },
  );
  if (!ran) throw new Error('the WebAssembly kernels are not available in the kernel thread');
}
