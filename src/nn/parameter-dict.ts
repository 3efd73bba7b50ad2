/**
 * An ordered, read-only map from structural names (`weight`, `0.weight`, `1.bias`) to
 * parameters: what `block.collectParams()` returns and `Trainer` takes. The names are the
 * parameters' paths in the block tree (Gluon 2.0 style), so they are the same on every run and
 * serve as keys in saved parameter files.
 * @module
 */
import type { GradReq } from '../autograd/node.js';
import type { InitializerLike } from '../init/initializer.js';
import type { Parameter, ParameterInitializeOptions } from './parameter.js';

/** Options of {@link ParameterDict.initialize}. */
export interface InitializeOptions {
  /** Re-initialize parameters that already hold data. */
  forceReinit?: boolean;
  /** Random stream for the draws (default: the global one behind `nd.random`). */
  generator?: ParameterInitializeOptions['generator'];
}

/** Parameters by structural name, in registration order (see the module description). */
export class ParameterDict implements Iterable<[string, Parameter]> {
  private readonly entriesByName: ReadonlyMap<string, Parameter>;

  constructor(entries: Iterable<readonly [string, Parameter]> = []) {
    this.entriesByName = new Map(entries);
  }

  /** Number of parameters. */
  get size(): number {
    return this.entriesByName.size;
  }

  /** The parameter called `name`, or undefined. */
  get(name: string): Parameter | undefined {
    return this.entriesByName.get(name);
  }

  /** Whether a parameter is called `name`. */
  has(name: string): boolean {
    return this.entriesByName.has(name);
  }

  /** The names, in order. */
  keys(): IterableIterator<string> {
    return this.entriesByName.keys();
  }

  /** The parameters, in order. */
  values(): IterableIterator<Parameter> {
    return this.entriesByName.values();
  }

  /** `[name, parameter]` pairs, in order. */
  entries(): IterableIterator<[string, Parameter]> {
    return this.entriesByName.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, Parameter]> {
    return this.entriesByName.entries();
  }

  /**
   * Initializes every parameter; `init` (default `Uniform(0.07)`) is only the default for
   * parameters without their own initializer (Gluon's `ParameterDict.initialize`).
   */
  initialize(init?: InitializerLike | null, options: InitializeOptions = {}): void {
    for (const parameter of this.entriesByName.values()) {
      parameter.initialize(null, {
        ...(init ? { defaultInit: init } : {}),
        ...(options.forceReinit !== undefined ? { forceReinit: options.forceReinit } : {}),
        ...(options.generator ? { generator: options.generator } : {}),
      });
    }
  }

  /** Zeros every gradient (between steps when gradReq is 'add'). */
  zeroGrad(): void {
    for (const parameter of this.entriesByName.values()) parameter.zeroGrad();
  }

  /** Sets gradReq on every parameter, e.g. 'null' to freeze them. */
  setGradReq(gradReq: GradReq): void {
    for (const parameter of this.entriesByName.values()) parameter.gradReq = gradReq;
  }

  /** Gluon-like listing, one parameter per line. */
  toString(): string {
    const lines = [...this.entriesByName].map(
      ([name, p]) => `  ${p.toString().replace(`Parameter ${p.name} `, `Parameter ${name} `)}`,
    );
    return `ParameterDict(\n${lines.join('\n')}\n)`;
  }
}
