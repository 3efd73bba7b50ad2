/**
 * A small binary container for named arrays, used for saved parameters and optimizer states.
 * It lives in the core (bytes in, bytes out) so browsers can use it; writing files is left to
 * `gloss/node`.
 *
 * Layout (all integers and elements little-endian):
 *
 *     bytes 0..7    magic "GLOSSNDA"
 *     bytes 8..11   uint32 H, the byte length of the header
 *     bytes 12..    H bytes of UTF-8 JSON: { version: 1, kind, meta, arrays: [{ name, dtype, shape, offset }] }
 *     then zero padding to a multiple of 8, then the data section; each array's elements start
 *     at `offset` bytes into the data section (offsets are multiples of 8).
 *
 * Elements are stored in the array's own dtype, so float32 values round-trip bit for bit.
 * @module
 */
import { allocate, type DType } from '../ndarray/dtype.js';
import { ValueError } from '../ndarray/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { sizeOf } from '../ndarray/shape.js';

const MAGIC = 'GLOSSNDA';
const VERSION = 1;
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

interface ArrayEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
}

interface Header {
  version: number;
  kind: string;
  meta: Record<string, unknown>;
  arrays: ArrayEntry[];
}

/** What {@link decodeArrays} returns. */
export interface DecodedArrays {
  /** What the file holds, e.g. 'parameters' or 'trainer-states'. */
  readonly kind: string;
  /** The named arrays, in the order they were written. */
  readonly arrays: Map<string, NDArray>;
  /** Extra JSON data written with the arrays. */
  readonly meta: Record<string, unknown>;
}

function alignTo8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** Packs named arrays and JSON metadata into one byte buffer. */
export function encodeArrays(
  kind: string,
  arrays: Iterable<readonly [string, NDArray]>,
  meta: Record<string, unknown> = {},
): Uint8Array {
  const list = [...arrays];
  const entries: ArrayEntry[] = [];
  let dataBytes = 0;
  for (const [name, array] of list) {
    entries.push({ name, dtype: array.dtype, shape: [...array.shape], offset: dataBytes });
    dataBytes = alignTo8(dataBytes + array.size * BYTES[array.dtype]);
  }
  const header: Header = { version: VERSION, kind, meta, arrays: entries };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = alignTo8(12 + headerBytes.length);
  const out = new Uint8Array(dataStart + dataBytes);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  list.forEach(([, array], k) => {
    let position = dataStart + entries[k]!.offset;
    const values = array.data;
    for (let i = 0; i < values.length; i++) {
      if (array.dtype === 'float32') view.setFloat32(position, values[i]!, true);
      else if (array.dtype === 'float64') view.setFloat64(position, values[i]!, true);
      else view.setInt32(position, values[i]!, true);
      position += BYTES[array.dtype];
    }
  });
  return out;
}

function fail(detail: string): never {
  throw new ValueError(`decodeArrays: not a valid gloss array file: ${detail}`);
}

/**
 * Unpacks a buffer written by {@link encodeArrays}.
 * @param expectedKind When given, a file of another kind is rejected with a ValueError.
 */
export function decodeArrays(bytes: Uint8Array, expectedKind?: string): DecodedArrays {
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
  if (bytes.length < 12) fail(`only ${bytes.length} bytes`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) fail('it does not start with "GLOSSNDA"');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) fail(`header of ${headerLength} bytes runs past the end`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as Header;
  } catch {
    fail('the header is not JSON');
  }
  if (header.version !== VERSION) fail(`unsupported version ${String(header.version)}`);
  if (expectedKind !== undefined && header.kind !== expectedKind) {
    throw new ValueError(
      `decodeArrays: expected a file of ${expectedKind}, got one of ${String(header.kind)}`,
    );
  }
  const dataStart = alignTo8(12 + headerLength);
  const arrays = new Map<string, NDArray>();
  for (const entry of header.arrays) {
    if (!(entry.dtype in BYTES)) fail(`array ${entry.name} has unknown dtype ${String(entry.dtype)}`);
    const size = sizeOf(entry.shape);
    const data = allocate(entry.dtype, size);
    let position = dataStart + entry.offset;
    if (position + size * BYTES[entry.dtype] > bytes.length) fail(`array ${entry.name} runs past the end`);
    for (let i = 0; i < size; i++) {
      data[i] =
        entry.dtype === 'float32'
          ? view.getFloat32(position, true)
          : entry.dtype === 'float64'
            ? view.getFloat64(position, true)
            : view.getInt32(position, true);
      position += BYTES[entry.dtype];
    }
    arrays.set(entry.name, new NDArray(data, entry.shape));
  }
  return { kind: header.kind, arrays, meta: header.meta ?? {} };
}
