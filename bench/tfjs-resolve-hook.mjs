// TensorFlow.js's ESM files import each other without extensions ('./base'), which Node's ESM
// resolver rejects. This hook retries such relative imports with '.js' and '/index.js'.
// Registered with `node --import ./bench/tfjs-resolve-hook.mjs` by the benchmark, and imported by
// examples/_tfjs-node.ts for the TF.js examples and tests (registering twice is a no-op).
import { register } from 'node:module';

if (!globalThis.__glossTfjsHook) {
  globalThis.__glossTfjsHook = true;
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
