/**
 * The base of every layer (Gluon's `Block`): children and parameters are registered explicitly,
 * `collectParams()` walks the tree, `initialize()` initializes everything it finds.
 * @module
 */
import { create as createInitializer, type InitializerLike, Uniform } from '../init/initializer.js';
import { isRecording } from '../autograd/state.js';
import { AutogradError, formatShape, ShapeError, ValueError } from '../ndarray/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { Parameter } from './parameter.js';
import { type InitializeOptions, ParameterDict } from './parameter-dict.js';
import { decodeArrays, encodeArrays } from './serialization.js';

/** Options of {@link Block.loadParametersFromBytes}. */
export interface LoadParametersOptions {
  /** Leave parameters that the file lacks untouched instead of throwing (default false). */
  allowMissing?: boolean;
  /** Ignore arrays in the file that match no parameter instead of throwing (default false). */
  ignoreExtra?: boolean;
}

/** The `kind` written into saved parameter files. */
export const PARAMETERS_KIND = 'parameters';

/** Indents every line after the first by two spaces (for nested block descriptions). */
function indent(text: string): string {
  return text.split('\n').join('\n  ');
}

export abstract class Block {
  private readonly childBlocks = new Map<string, Block>();
  private readonly ownParameters = new Map<string, Parameter>();

  /**
   * Computes the block's output. Call it inside `autograd.record()` to train.
   */
  abstract forward(...inputs: NDArray[]): NDArray;

  /** Alias of {@link forward}, for code ported from Python's `net(x)`. */
  call(...inputs: NDArray[]): NDArray {
    return this.forward(...inputs);
  }

  /** Registers a child block under `name` (default: its position among the children). */
  protected registerChild<B extends Block>(block: B, name: string = String(this.childBlocks.size)): B {
    if (!(block instanceof Block)) {
      throw new ValueError(`${this.constructor.name}: child ${name} must be a Block, got ${String(block)}`);
    }
    if (this.childBlocks.has(name)) {
      throw new ValueError(`${this.constructor.name}: a child named '${name}' is already registered`);
    }
    this.childBlocks.set(name, block);
    return block;
  }

  /** Registers a parameter of this block under its own name. */
  protected registerParameter(parameter: Parameter): Parameter {
    if (this.ownParameters.has(parameter.name)) {
      throw new ValueError(
        `${this.constructor.name}: a parameter named '${parameter.name}' is already registered`,
      );
    }
    this.ownParameters.set(parameter.name, parameter);
    return parameter;
  }

  /** The registered children, by name. */
  get children(): ReadonlyMap<string, Block> {
    return this.childBlocks;
  }

  /**
   * This block's parameters and those of all its descendants, keyed by their path in the tree
   * (`weight`, `0.weight`, `1.bias`). A parameter shared by two blocks appears once.
   * @param select Keep only names matching it: a string is a regular expression matched from
   *   the start of the name (Python's `re.match`), e.g. `'.*weight'`.
   */
  collectParams(select?: string | RegExp): ParameterDict {
    const pattern = typeof select === 'string' ? new RegExp(`^(?:${select})`) : (select ?? null);
    const found: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const visit = (block: Block, prefix: string) => {
      for (const [name, parameter] of block.ownParameters) {
        const path = prefix + name;
        if (seen.has(parameter) || (pattern && !pattern.test(path))) continue;
        seen.add(parameter);
        found.push([path, parameter]);
      }
      for (const [name, child] of block.childBlocks) visit(child, `${prefix}${name}.`);
    };
    visit(this, '');
    return new ParameterDict(found);
  }

  /**
   * Initializes every parameter in the tree. `init` (default `new init.Uniform(0.07)`) applies only
   * to parameters without their own initializer; a Dense bias keeps its 'zeros'. Parameters whose
   * shape is not known yet are initialized on the block's first forward. Returns the block.
   */
  initialize(init: InitializerLike = new Uniform(), options: InitializeOptions = {}): this {
    this.collectParams().initialize(createInitializer(init), options);
    return this;
  }

  /**
   * Accepted for code ported from Gluon; gloss runs imperatively, so this changes nothing.
   * Returns the block.
   */
  hybridize(): this {
    return this;
  }

  /** Every parameter's values, keyed by structural name, packed into bytes (see `serialization.ts`). */
  parametersToBytes(): Uint8Array {
    const entries: [string, NDArray][] = [];
    for (const [name, parameter] of this.collectParams()) entries.push([name, parameter.data()]);
    return encodeArrays(PARAMETERS_KIND, entries);
  }

  /**
   * Loads values written by {@link parametersToBytes} (Gluon's `load_parameters`). Uninitialized
   * and deferred parameters are initialized from the file; values are converted to each
   * parameter's dtype. Every value is checked against its parameter before any is written, so a
   * file that does not fit (another architecture, a corrupt file) leaves the block unchanged.
   */
  loadParametersFromBytes(bytes: Uint8Array, options: LoadParametersOptions = {}): void {
    const where = `${this.constructor.name}.loadParameters`;
    const { arrays } = decodeArrays(bytes, PARAMETERS_KIND, where);
    const params = this.collectParams();
    if (!options.allowMissing) {
      for (const name of params.keys()) {
        if (!arrays.has(name)) {
          throw new ValueError(
            `${where}: parameter '${name}' is missing from the file, which holds ${[...arrays.keys()].join(', ') || 'nothing'}; ` +
              'pass {allowMissing: true} to keep its current value',
          );
        }
      }
    }
    if (!options.ignoreExtra) {
      for (const name of arrays.keys()) {
        if (!params.has(name)) {
          throw new ValueError(
            `${where}: the file holds '${name}', which is not a parameter of this block (its parameters are ` +
              `${[...params.keys()].join(', ') || 'none'}); pass {ignoreExtra: true} to skip it`,
          );
        }
      }
    }
    const updates: [Parameter, NDArray][] = [];
    for (const [name, value] of arrays) {
      const parameter = params.get(name);
      if (!parameter) continue;
      // Named by the full path ('1.weight'): the parameter itself only knows 'weight'.
      if (!parameter.acceptsValueShape(value.shape)) {
        throw new ShapeError(
          `${where}: parameter '${name}' has shape ${formatShape(value.shape)} in the file but ` +
            `${formatShape(parameter.shape)} in this block${parameter.shapeKnown ? '' : ' (0 = any size)'}; nothing was loaded`,
        );
      }
      if (parameter.isInitialized && isRecording()) {
        throw new AutogradError(
          `${where}: cannot overwrite parameter '${name}' inside autograd.record() (nothing was loaded)`,
        );
      }
      updates.push([parameter, value]);
    }
    for (const [parameter, value] of updates) parameter.setData(value);
  }

  /** Gluon-like description: the class name and, indented, each child. */
  toString(): string {
    if (this.childBlocks.size === 0) return `${this.constructor.name}()`;
    const lines = [...this.childBlocks].map(([name, child]) => `  (${name}): ${indent(child.toString())}`);
    return `${this.constructor.name}(\n${lines.join('\n')}\n)`;
  }
}
