/** Element types an NDArray can hold. float32 is the default, as in MXNet. */
export type DType = 'float32' | 'float64' | 'int32';

/** The typed array backing an NDArray of each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** Every supported dtype. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

/** A zero-filled typed array of `size` elements for `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
}

/** The dtype stored in a typed array. */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

/** True for float32 and float64. */
export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

/** numpy-style promotion between two array dtypes. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}

/** The dtype a floating-point op produces from an input of `dtype` (int32 becomes float32). */
export function floatOf(dtype: DType): DType {
  return dtype === 'int32' ? 'float32' : dtype;
}
