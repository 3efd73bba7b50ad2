/**
 * A valid parameter file for `new Dense(2, { inUnits: 3 })` and a table of corrupted versions of
 * it, shared by the bytes API tests (test/nn) and the Node file helper tests (test/node). Each
 * corruption is built by hand, byte by byte, so it does not depend on the encoder being right.
 */

const MAGIC = 'GLOSSNDA';

/** The parameters of `new Dense(2, { inUnits: 3 })`, in the order the block collects them. */
export const WEIGHT_VALUES = [0.5, -1.25, 2, 0.125, -3, 4.5];
export const BIAS_VALUES = [0.75, -0.5];

function alignTo8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** A header for the valid file; each case edits a fresh copy. */
function validHeader(): Record<string, unknown> & { arrays: Record<string, unknown>[] } {
  return {
    version: 1,
    kind: 'parameters',
    meta: {},
    arrays: [
      { name: 'weight', dtype: 'float32', shape: [2, 3], offset: 0 },
      { name: 'bias', dtype: 'float32', shape: [2], offset: 24 },
    ],
  };
}

/** The data section of the valid file: weight (24 bytes) then bias (8 bytes), float32 LE. */
function validData(): Uint8Array {
  const data = new Uint8Array(32);
  const view = new DataView(data.buffer);
  const values = [...WEIGHT_VALUES, ...BIAS_VALUES];
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i]!, true);
  return data;
}

/** Magic, header length, header bytes, zero padding to 8, then `data`. */
function pack(header: Uint8Array | string, data: Uint8Array = validData()): Uint8Array {
  const headerBytes = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const dataStart = alignTo8(12 + headerBytes.length);
  const out = new Uint8Array(dataStart + data.length);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  new DataView(out.buffer).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  out.set(data, dataStart);
  return out;
}

/** The valid file with its header edited by `change`. */
function withHeader(change: (header: ReturnType<typeof validHeader>) => void): Uint8Array {
  const header = validHeader();
  change(header);
  return pack(JSON.stringify(header));
}

/** A file that loads into `new Dense(2, { inUnits: 3 })`. */
export function validParameterFile(): Uint8Array {
  return pack(JSON.stringify(validHeader()));
}

/** One malformed file and a fragment the error message must contain. */
export interface Corruption {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly fragment: string;
}

/** Every way the tests break the valid file; each must be a ValueError, never a crash. */
export function corruptParameterFiles(): Corruption[] {
  const valid = validParameterFile();
  const headerLength = new DataView(valid.buffer).getUint32(8, true);
  const cases: Corruption[] = [
    { name: 'empty', bytes: new Uint8Array(0), fragment: 'only 0 bytes' },
    { name: 'shorter than the preamble', bytes: valid.subarray(0, 11), fragment: '12-byte preamble' },
    { name: 'another magic', bytes: new TextEncoder().encode('GLOSSNDB\0\0\0\0{}'), fragment: 'GLOSSNDA' },
    {
      name: 'header length past the end',
      bytes: (() => {
        const copy = valid.slice();
        new DataView(copy.buffer).setUint32(8, 0xffffffff, true);
        return copy;
      })(),
      fragment: 'runs past the end',
    },
    { name: 'header not JSON', bytes: pack('{"version": 1, kind'), fragment: 'not UTF-8 JSON' },
    {
      name: 'header not UTF-8',
      bytes: pack(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
      fragment: 'not UTF-8 JSON',
    },
    { name: 'header is null', bytes: pack('null'), fragment: 'not a JSON object' },
    { name: 'header is a list', bytes: pack('[]'), fragment: 'not a JSON object' },
    { name: 'header is a number', bytes: pack('12'), fragment: 'not a JSON object' },
    { name: 'version missing', bytes: withHeader((h) => delete h.version), fragment: 'unsupported version' },
    { name: 'version 2', bytes: withHeader((h) => (h.version = 2)), fragment: 'unsupported version 2' },
    {
      name: 'version as text',
      bytes: withHeader((h) => (h.version = '1')),
      fragment: 'unsupported version "1"',
    },
    { name: 'kind missing', bytes: withHeader((h) => delete h.kind), fragment: 'kind' },
    { name: 'kind a number', bytes: withHeader((h) => (h.kind = 5)), fragment: 'kind is 5' },
    { name: 'meta missing', bytes: withHeader((h) => delete h.meta), fragment: 'meta' },
    { name: 'meta a list', bytes: withHeader((h) => (h.meta = [])), fragment: 'meta is []' },
    {
      name: 'arrays missing',
      bytes: withHeader((h) => delete (h as { arrays?: unknown }).arrays),
      fragment: 'arrays',
    },
    {
      name: 'arrays an object',
      bytes: withHeader((h) => ((h as { arrays: unknown }).arrays = {})),
      fragment: 'not a list',
    },
    {
      name: 'entry null',
      bytes: withHeader((h) => ((h.arrays as unknown[])[0] = null)),
      fragment: 'array #0 is null',
    },
    {
      name: 'entry a string',
      bytes: withHeader((h) => ((h.arrays as unknown[])[1] = 'bias')),
      fragment: 'array #1',
    },
    {
      name: 'name missing',
      bytes: withHeader((h) => delete h.arrays[0]!.name),
      fragment: 'array #0 has name',
    },
    { name: 'name a number', bytes: withHeader((h) => (h.arrays[1]!.name = 7)), fragment: 'name 7' },
    { name: 'name repeated', bytes: withHeader((h) => (h.arrays[1]!.name = 'weight')), fragment: 'repeats' },
    {
      name: 'dtype unknown',
      bytes: withHeader((h) => (h.arrays[0]!.dtype = 'float16')),
      fragment: 'unknown dtype "float16"',
    },
    {
      name: 'dtype from the prototype',
      bytes: withHeader((h) => (h.arrays[0]!.dtype = 'toString')),
      fragment: 'unknown dtype',
    },
    { name: 'dtype missing', bytes: withHeader((h) => delete h.arrays[1]!.dtype), fragment: 'unknown dtype' },
    { name: 'shape missing', bytes: withHeader((h) => delete h.arrays[0]!.shape), fragment: 'not a list' },
    {
      name: 'shape as text',
      bytes: withHeader((h) => (h.arrays[0]!.shape = '[2,3]')),
      fragment: 'not a list',
    },
    {
      name: 'shape negative',
      bytes: withHeader((h) => (h.arrays[0]!.shape = [-3])),
      fragment: 'axis 0 is not an integer >= 0',
    },
    {
      name: 'shape negative pair',
      bytes: withHeader((h) => (h.arrays[0]!.shape = [-2, -3])),
      fragment: 'axis 0',
    },
    {
      name: 'shape fractional',
      bytes: withHeader((h) => (h.arrays[0]!.shape = [2, 1.5])),
      fragment: 'axis 1',
    },
    { name: 'shape holds null', bytes: withHeader((h) => (h.arrays[1]!.shape = [null])), fragment: 'axis 0' },
    { name: 'shape holds text', bytes: withHeader((h) => (h.arrays[1]!.shape = ['2'])), fragment: 'axis 0' },
    {
      name: 'shape holds a list',
      bytes: withHeader((h) => (h.arrays[1]!.shape = [[2]])),
      fragment: 'axis 0',
    },
    {
      name: 'shape over the element limit',
      bytes: withHeader((h) => (h.arrays[0]!.shape = [1e5, 1e5])),
      fragment: 'over the limit',
    },
    {
      // 16 GiB of float64 for a 40-byte data section: found from the header alone, no allocation.
      name: 'shape far larger than the data',
      bytes: withHeader((h) => {
        h.arrays[0]!.dtype = 'float64';
        h.arrays[0]!.shape = [2 ** 31 - 1];
        h.arrays[1]!.offset = 2 ** 34 - 8;
      }),
      fragment: 'truncated',
    },
    {
      name: 'shape one too large',
      bytes: withHeader((h) => (h.arrays[1]!.shape = [3])),
      fragment: 'truncated',
    },
    {
      name: 'offset missing',
      bytes: withHeader((h) => delete h.arrays[0]!.offset),
      fragment: 'offset undefined',
    },
    { name: 'offset shifted', bytes: withHeader((h) => (h.arrays[1]!.offset = 32)), fragment: 'offset 32' },
    { name: 'offsets overlap', bytes: withHeader((h) => (h.arrays[1]!.offset = 0)), fragment: 'offset 0' },
    { name: 'offset negative', bytes: withHeader((h) => (h.arrays[1]!.offset = -8)), fragment: 'offset -8' },
    { name: 'data truncated by 8 bytes', bytes: valid.subarray(0, valid.length - 8), fragment: 'truncated' },
    { name: 'data truncated by 1 byte', bytes: valid.subarray(0, valid.length - 1), fragment: 'truncated' },
    { name: 'no data at all', bytes: valid.subarray(0, alignTo8(12 + headerLength)), fragment: 'truncated' },
    {
      name: 'trailing garbage',
      bytes: (() => {
        const longer = new Uint8Array(valid.length + 5);
        longer.set(valid);
        longer.set([1, 2, 3, 4, 5], valid.length);
        return longer;
      })(),
      fragment: '5 bytes follow the end of the data',
    },
    {
      name: 'a second file appended',
      bytes: (() => {
        const twice = new Uint8Array(valid.length * 2);
        twice.set(valid);
        twice.set(valid, valid.length);
        return twice;
      })(),
      fragment: 'follow the end of the data',
    },
  ];
  // Non-zero padding between the header and the data (JSON allows trailing spaces, which here
  // only serve to leave room for padding).
  let text = JSON.stringify(validHeader());
  while ((12 + text.length) % 8 !== 4) text += ' ';
  const padded = pack(text);
  padded[12 + text.length + 1] = 1;
  cases.push({ name: 'non-zero header padding', bytes: padded, fragment: 'padding' });
  return cases;
}
