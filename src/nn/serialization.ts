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
 *     at `offset` bytes into the data section: arrays follow each other in header order, each
 *     starting at the next multiple of 8, and the file ends where the last one's padding ends.
 *
 * Elements are stored in the array's own dtype, so float32 values round-trip bit for bit.
 * @module
 */
import { allocate, type DType, MAX_ELEMENTS } from '../ndarray/dtype.js';
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

/** How error messages call a file of each kind. */
const KIND_NOUNS: Record<string, string> = { parameters: 'parameter', 'trainer-states': 'trainer-state' };

/** Plain JSON object (not null, not an array). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a parsed header field by field and works out where each array's bytes lie, so that a
 * corrupt file is rejected before any buffer is allocated. Returns the entries and the byte
 * length the file must have.
 */
function checkHeader(
  header: unknown,
  dataStart: number,
  fail: (detail: string) => never,
): { kind: string; meta: Record<string, unknown>; arrays: ArrayEntry[]; end: number } {
  if (!isObject(header)) fail(`the header is ${JSON.stringify(header)}, not a JSON object`);
  if (header.version !== VERSION)
    fail(`unsupported version ${JSON.stringify(header.version)} (expected ${VERSION})`);
  if (typeof header.kind !== 'string')
    fail(`the header's kind is ${JSON.stringify(header.kind)}, not a string`);
  if (!isObject(header.meta)) fail(`the header's meta is ${JSON.stringify(header.meta)}, not a JSON object`);
  if (!Array.isArray(header.arrays))
    fail(`the header's arrays is ${JSON.stringify(header.arrays)}, not a list`);
  const names = new Set<string>();
  let expectedOffset = 0;
  const arrays = header.arrays.map((entry: unknown, index: number): ArrayEntry => {
    const label = `array #${index}`;
    if (!isObject(entry)) fail(`${label} is ${JSON.stringify(entry)}, not a JSON object`);
    const { name, dtype, shape, offset } = entry;
    if (typeof name !== 'string') fail(`${label} has name ${JSON.stringify(name)}, not a string`);
    const described = `array #${index} '${name}'`;
    if (names.has(name)) fail(`${described} repeats an earlier array's name`);
    names.add(name);
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) {
      fail(`${described} has unknown dtype ${JSON.stringify(dtype)} (expected float32, float64 or int32)`);
    }
    if (!Array.isArray(shape)) fail(`${described} has shape ${JSON.stringify(shape)}, not a list`);
    shape.forEach((dim: unknown, axis: number) => {
      if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
        fail(`${described} has shape ${JSON.stringify(shape)}: axis ${axis} is not an integer >= 0`);
      }
    });
    const size = sizeOf(shape as number[]);
    if (size > MAX_ELEMENTS) {
      fail(
        `${described} has shape ${JSON.stringify(shape)} of ${size} elements, over the limit of ${MAX_ELEMENTS}`,
      );
    }
    // The writer lays arrays out back to back, each at the next multiple of 8; anything else
    // (gaps, overlaps, reordering) means the header was altered.
    if (offset !== expectedOffset) {
      fail(`${described} has offset ${JSON.stringify(offset)}; the layout puts it at ${expectedOffset}`);
    }
    expectedOffset = alignTo8(expectedOffset + size * BYTES[dtype as DType]);
    return { name, dtype: dtype as DType, shape: shape as number[], offset };
  });
  return { kind: header.kind, meta: header.meta, arrays, end: dataStart + expectedOffset };
}

/**
 * Unpacks a buffer written by {@link encodeArrays}. Anything malformed (a bad header, missing or
 * wrong-typed fields, impossible shapes, unknown dtypes, data cut short or followed by extra
 * bytes) is a ValueError saying the file is not a valid gloss file and what is wrong; nothing is
 * allocated until every size has been checked against the length of `bytes`.
 * @param expectedKind When given, a file of another kind is rejected with a ValueError.
 * @param where The function named in error messages (default `decodeArrays`).
 */
export function decodeArrays(
  bytes: Uint8Array,
  expectedKind?: string,
  where = 'decodeArrays',
): DecodedArrays {
  const noun = expectedKind === undefined ? 'array' : (KIND_NOUNS[expectedKind] ?? expectedKind);
  const fail = (detail: string): never => {
    throw new ValueError(`${where}: not a valid gloss ${noun} file: ${detail}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, got ${String(bytes)}`);
  if (bytes.length < 12) fail(`it is only ${bytes.length} bytes long, shorter than the 12-byte preamble`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) fail('it does not start with "GLOSSNDA"');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) {
    fail(`the header of ${headerLength} bytes runs past the end of the ${bytes.length}-byte file`);
  }
  let parsed: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength));
    parsed = JSON.parse(text);
  } catch (error) {
    fail(`the header is not UTF-8 JSON (${(error as Error).message})`);
  }
  const dataStart = alignTo8(12 + headerLength);
  const header = checkHeader(parsed, dataStart, fail);
  if (expectedKind !== undefined && header.kind !== expectedKind) {
    throw new ValueError(`${where}: expected a file of ${expectedKind}, got one of ${header.kind}`);
  }
  if (bytes.length < header.end) {
    fail(
      `the header describes ${header.end} bytes but the file has only ${bytes.length}: the data is truncated`,
    );
  }
  if (bytes.length > header.end) {
    fail(`${bytes.length - header.end} bytes follow the end of the data at byte ${header.end}`);
  }
  for (let i = 12 + headerLength; i < dataStart; i++) {
    if (bytes[i] !== 0) fail(`the padding after the header holds a non-zero byte at ${i}`);
  }
  const arrays = new Map<string, NDArray>();
  for (const entry of header.arrays) {
    const size = sizeOf(entry.shape);
    const data = allocate(entry.dtype, size, where, entry.shape);
    let position = dataStart + entry.offset;
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
  return { kind: header.kind, arrays, meta: header.meta };
}
