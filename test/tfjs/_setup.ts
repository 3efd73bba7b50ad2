/**
 * Loads TensorFlow.js for the tests as the examples do (examples/_tfjs-node.ts: tfjs-core with its
 * gradients and the cpu backend), and tfjs-layers. `loadWasm` adds the wasm backend when it loads
 * in Node.
 */
import '../../examples/_tfjs-node.js';

export type Tf = typeof import('@tensorflow/tfjs-core');
export type Tfl = typeof import('@tensorflow/tfjs-layers');

/** tfjs-core with gradients and the cpu backend selected, and tfjs-layers. */
export async function loadTfjs(): Promise<{ tf: Tf; tfl: Tfl }> {
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  const tfl = (await import('@tensorflow/tfjs-layers')) as Tfl;
  await tf.setBackend('cpu');
  return { tf, tfl };
}

/** Registers and selects the wasm backend; false when it does not load here. */
export async function loadWasm(tf: Tf): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // One thread: the tests compare numbers, and the machine's cores are shared.
    wasm.setThreadsCount?.(1);
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}
