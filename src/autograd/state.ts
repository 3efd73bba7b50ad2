/**
 * Global autograd flags. Recording decides whether ops build graph nodes; training mode is
 * a flag layers may read (MXNet's Dropout/BatchNorm switch).
 */
let recording = false;
let training = false;

/** True inside `autograd.record()` (and not inside a nested `pause()`). */
export function isRecording(): boolean {
  return recording;
}

/** True when layers should behave as in training (set by `record()`, `trainMode()`). */
export function isTraining(): boolean {
  return training;
}

/** Runs `fn` with the given flags, restoring the previous ones afterwards even if it throws. */
export function withState<T>(nextRecording: boolean, nextTraining: boolean, fn: () => T): T {
  const previousRecording = recording;
  const previousTraining = training;
  recording = nextRecording;
  training = nextTraining;
  try {
    return fn();
  } finally {
    recording = previousRecording;
    training = previousTraining;
  }
}

/**
 * Sets the recording flag and returns the previous one, for a caller that restores it in its own
 * `finally` (defineOp, on the path of every op, without a closure per call); everyone else uses
 * {@link withRecording}.
 */
export function swapRecording(nextRecording: boolean): boolean {
  const previous = recording;
  recording = nextRecording;
  return previous;
}

/** Runs `fn` with recording switched on or off, keeping the training flag. */
export function withRecording<T>(nextRecording: boolean, fn: () => T): T {
  if (recording === nextRecording) return fn();
  return withState(nextRecording, training, fn);
}
