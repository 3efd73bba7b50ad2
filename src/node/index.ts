/**
 * `gloss-ml/node`: Node-only helpers that touch the file system or start threads. Everything else
 * is in `gloss-ml` (and charts in `gloss-ml/plot`).
 *
 * ```ts
 * import { saveParameters, loadParameters, saveStates, loadStates } from 'gloss-ml/node';
 * saveParameters(net, 'net.params');
 * ```
 * @module
 */
export {
  checkpointPaths,
  loadCheckpoint,
  loadParameters,
  loadStates,
  saveCheckpoint,
  saveParameters,
  saveStates,
} from './params-file.js';
export {
  DEFAULT_FONT_DIR,
  DEFAULT_PNG_FONT_FAMILY,
  type PngOptions,
  PngUnavailableError,
  pngAvailable,
  svgToPng,
} from './png.js';
export { KernelThreadError, kernelThreadsReady, useKernelThreads } from './kernel-threads.js';
