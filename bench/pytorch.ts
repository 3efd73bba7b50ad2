/**
 * The PyTorch column of `npm run bench`: bench/pytorch_worker.py started once with one thread
 * (torch.set_num_threads(1), OMP/OpenBLAS limited to one thread), driven over stdin/stdout with
 * one JSON object per line. Inputs are sent as the very float32/int32 buffers gloss and TF.js
 * use, so all three see the same values; the worker times each step itself (perf_counter), so
 * the pipe is never inside a timed region.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type PyTorchKind =
  | 'l2'
  | 'softmax_ce'
  | 'softmax_ce_dense'
  | 'sigmoid_bce'
  | 'huber'
  | 'ctc'
  | 'triplet'
  | 'kl_div'
  | 'kl_div_logits'
  | 'softmax_focal'
  | 'nll'
  | 'dense_step'
  | 'matmul';

/** A typed array sent to the worker with its shape. */
export interface PyTorchInput {
  shape: readonly number[];
  data: Float32Array | Float64Array | Int32Array;
}

/** What a workload asks PyTorch to build: its kind, named inputs and options. */
export interface PyTorchSpec {
  kind: PyTorchKind;
  inputs: Record<string, PyTorchInput>;
  options?: Record<string, number>;
}

interface Reply {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

const dtypeOf = (data: PyTorchInput['data']) =>
  data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : 'int32';

function base64Of(data: PyTorchInput['data']): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function float32Of(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export class PyTorchWorker {
  private readonly pending: ((reply: Reply) => void)[] = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const resolve = this.pending.shift();
      resolve?.(JSON.parse(line) as Reply);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    child.on('exit', () => {
      for (const resolve of this.pending.splice(0))
        resolve({ ok: false, error: `the PyTorch worker exited: ${this.stderr.trim()}` });
    });
  }

  /**
   * Starts the worker with $GLOSS_BENCH_PYTHON, or else the first of `python3` and Debian's
   * `/usr/bin/python3` that imports torch, and returns it with its torch version and BLAS library,
   * or the reason it could not start.
   */
  static async start(): Promise<{ worker: PyTorchWorker; torch: string; blas: string } | { reason: string }> {
    const candidates = process.env.GLOSS_BENCH_PYTHON
      ? [process.env.GLOSS_BENCH_PYTHON]
      : ['python3', '/usr/bin/python3'];
    const reasons: string[] = [];
    for (const python of [...new Set(candidates)]) {
      const started = await PyTorchWorker.startWith(python);
      if ('worker' in started) return started;
      reasons.push(started.reason);
    }
    return { reason: reasons.join('; ') };
  }

  private static async startWith(
    python: string,
  ): Promise<{ worker: PyTorchWorker; torch: string; blas: string } | { reason: string }> {
    const script = fileURLToPath(new URL('./pytorch_worker.py', import.meta.url));
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const child = spawn(python, ['-u', script], { env, stdio: 'pipe' });
    child.stdin.on('error', () => {}); // a worker that failed to start: reported through 'exit'/'error'
    const spawnError = new Promise<Reply>((resolve) =>
      child.on('error', (error) =>
        resolve({ ok: false, error: `${python} did not start: ${error.message}` }),
      ),
    );
    const worker = new PyTorchWorker(child);
    const info = await Promise.race([worker.request({ op: 'info' }), spawnError]);
    if (!info.ok) {
      worker.close();
      const missingTorch = /No module named 'torch'/.test(info.error ?? '');
      return { reason: missingTorch ? `${python} has no torch module` : (info.error ?? 'unknown error') };
    }
    return { worker, torch: String(info.torch), blas: String(info.blas) };
  }

  private request(message: object): Promise<Reply> {
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.child.stdin.write(`${JSON.stringify(message)}\n`);
    });
  }

  private async call(message: object): Promise<Reply> {
    const reply = await this.request(message);
    if (!reply.ok) throw new Error(`PyTorch worker: ${reply.error}`);
    return reply;
  }

  /** Builds a workload's step and runs it once: the per-sample losses and the gradient (or result). */
  async setup(id: string, spec: PyTorchSpec): Promise<{ loss: Float32Array; grad: Float32Array }> {
    const inputs = Object.fromEntries(
      Object.entries(spec.inputs).map(([name, input]) => [
        name,
        { shape: input.shape, dtype: dtypeOf(input.data), data: base64Of(input.data) },
      ]),
    );
    const reply = await this.call({ op: 'setup', id, kind: spec.kind, inputs, options: spec.options ?? {} });
    return { loss: float32Of(reply.loss as string), grad: float32Of(reply.grad as string) };
  }

  /** One run: the worker calls the step until `budgetMs` passed (at least once); median ms per call. */
  async time(id: string, budgetMs: number, maxCalls: number): Promise<number> {
    return (await this.call({ op: 'time', id, budgetMs, maxCalls })).ms as number;
  }

  async drop(id: string): Promise<void> {
    await this.call({ op: 'drop', id });
  }

  close(): void {
    this.child.stdin.end();
  }
}
