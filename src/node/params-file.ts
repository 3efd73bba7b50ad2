/**
 * Saving and loading parameters and trainer states to files (Node only). The byte format is the
 * core's (`nn/serialization.ts`); this module only reads and writes files.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ShapeError, ValueError } from '../ndarray/errors.js';
import type { Block, LoadParametersOptions } from '../nn/block.js';
import type { Trainer } from '../optim/trainer.js';

/** Writes every parameter of `block` to `path` (Gluon `save_parameters`). */
export function saveParameters(block: Block, path: string): void {
  writeFileSync(path, block.parametersToBytes());
}

/**
 * Loads parameters written by {@link saveParameters} into `block` (Gluon `load_parameters`).
 * Parameters not initialized yet (including deferred ones) are initialized from the file. A file
 * that is corrupt or does not fit the block is a ValueError or ShapeError naming `path`, and the
 * block is left unchanged.
 */
export function loadParameters(block: Block, path: string, options: LoadParametersOptions = {}): void {
  const bytes = readBytes(path);
  naming('loadParameters', path, () => block.loadParametersFromBytes(bytes, options));
}

/** Writes the trainer's optimizer, update counts and state arrays to `path` (Gluon `save_states`). */
export function saveStates(trainer: Trainer, path: string): void {
  writeFileSync(path, trainer.statesToBytes());
}

/** Restores what {@link saveStates} wrote (Gluon `load_states`). */
export function loadStates(trainer: Trainer, path: string): void {
  const bytes = readBytes(path);
  naming('loadStates', path, () => trainer.loadStatesFromBytes(bytes));
}

/** The file names of a checkpoint: `<prefix>-0100.params` and `<prefix>-0100.states` for epoch 100. */
export function checkpointPaths(prefix: string, epoch: number): { params: string; states: string } {
  const tag = String(epoch).padStart(4, '0');
  return { params: `${prefix}-${tag}.params`, states: `${prefix}-${tag}.states` };
}

/**
 * Saves a training checkpoint: the block's parameters and, when given, the trainer's states
 * (MXNet `Module.save_checkpoint(prefix, epoch, save_optimizer_states=True)`). Returns the paths.
 */
export function saveCheckpoint(
  prefix: string,
  epoch: number,
  block: Block,
  trainer?: Trainer,
): { params: string; states: string } {
  const paths = checkpointPaths(prefix, epoch);
  saveParameters(block, paths.params);
  if (trainer) saveStates(trainer, paths.states);
  return paths;
}

/** Loads a checkpoint written by {@link saveCheckpoint} into `block` and, when given, `trainer`. */
export function loadCheckpoint(prefix: string, epoch: number, block: Block, trainer?: Trainer): void {
  const paths = checkpointPaths(prefix, epoch);
  loadParameters(block, paths.params);
  if (trainer) loadStates(trainer, paths.states);
}

/**
 * Runs `load`, prefixing the message of a ValueError or ShapeError with `where` and the path: the
 * core only sees bytes, and a user with several files needs to know which one is bad.
 */
function naming(where: string, path: string, load: () => void): void {
  try {
    load();
  } catch (error) {
    if (error instanceof ValueError) {
      throw new ValueError(`${where}(${JSON.stringify(path)}): ${error.message}`, { cause: error });
    }
    if (error instanceof ShapeError) {
      throw new ShapeError(`${where}(${JSON.stringify(path)}): ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function readBytes(path: string): Uint8Array {
  const buffer = readFileSync(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
