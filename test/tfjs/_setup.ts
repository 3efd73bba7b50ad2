/**
 * Loads TensorFlow.js for the tests: tfjs-core (its CommonJS build, as Node resolves the package),
 * its gradients (that build registers none: their module is ES, whose extensionless relative
 * imports need the resolve hook below, the same as bench/tfjs-resolve-hook.mjs), the cpu backend
 * and tfjs-layers. `loadWasm` adds the wasm backend when it loads in Node.
 */
import { register } from 'node:module';

const hooked = globalThis as { __glossTfjsHook?: boolean };
if (!hooked.__glossTfjsHook) {
  hooked.__glossTfjsHook = true;
  register(
    `data:text/javascript,${encodeURIComponent(`
      export async function resolve(specifier, context, next) {
        try {
          return await next(specifier, context);
        } catch (error) {
          const fromTfjs = context.parentURL && context.parentURL.includes('/@tensorflow/');
          if (!fromTfjs || !specifier.startsWith('.')) throw error;
          for (const suffix of ['.js', '/index.js']) {
            try { return await next(specifier + suffix, context); } catch {}
          }
          throw error;
        }
      }`)}`,
  );
}

export type Tf = typeof import('@tensorflow/tfjs-core');
export type Tfl = typeof import('@tensorflow/tfjs-layers');

/** tfjs-core with gradients and the cpu backend selected, and tfjs-layers. */
export async function loadTfjs(): Promise<{ tf: Tf; tfl: Tfl }> {
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  // Silences the cpu backend's "install tfjs-node" banner (warnings are off in PROD).
  tf.env().set('PROD', true);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients' as string);
  await import('@tensorflow/tfjs-backend-cpu');
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
