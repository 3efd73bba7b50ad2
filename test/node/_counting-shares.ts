/** A helper of the kernel-thread tests: how many shares a run handed to the other threads. */
import { kernelThreadPool, setKernelThreadPool } from '../../src/kernels/threads.js';

/**
 * Wraps the installed pool so that every share it starts is counted; `sharesOf(run)` returns how
 * many shares `run` started.
 */
export function countingShares(): <T>(run: () => T) => { result: T; shares: number } {
  const pool = kernelThreadPool()!;
  let shares = 0;
  setKernelThreadPool({
    get ready() {
      return pool.ready;
    },
    start(jobs) {
      shares += jobs.length;
      return pool.start(jobs);
    },
  });
  return (run) => {
    shares = 0;
    const result = run();
    return { result, shares };
  };
}
