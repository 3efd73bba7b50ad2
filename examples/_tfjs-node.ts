/**
 * TensorFlow.js in Node from its parts (`@tensorflow/tfjs-core`, `-backend-cpu`, `-layers`), as
 * the examples and tests use it. The `@tensorflow/tfjs` bundle does all this itself; with the
 * parts, the one thing missing is the gradients of TF.js's own ops (needed by `model.fit`): the
 * CommonJS build Node loads registers none, and the ES module that does imports its files without
 * extensions, which Node resolves only with the hook registered here. In a browser bundle
 * `import '@tensorflow/tfjs-core/dist/register_all_gradients'` is enough.
 */
// The resolve hook the benchmark registers (retries tfjs's extensionless relative imports).
import '../bench/tfjs-resolve-hook.mjs';

const tf = await import('@tensorflow/tfjs-core');
// Warnings off: the cpu backend's banner suggests tfjs-node, which cannot be installed here.
tf.env().set('PROD', true);
await import('@tensorflow/tfjs-core/dist/register_all_gradients' as string);
await import('@tensorflow/tfjs-backend-cpu');
await tf.setBackend('cpu');
