/**
 * Prints arrays the way MXNet does: `str(x.asnumpy())` (numpy 1.x's array printing), so
 * `[0.5, 1]` in float32 prints as `[0.5 1. ]`. This follows numpy's `FloatingFormat`,
 * `IntegerFormat` and `_formatArray`: shortest round-trip digits at the array's precision (at most
 * 8 fractional digits, ties rounded to even), one shared layout (positional or scientific) per
 * array, rows wrapped at 75 characters, and arrays of more than 1000 elements summarised with
 * `...` around their first and last 3 entries per axis.
 * @module
 */
import type { DType } from './dtype.js';

/** numpy's default print options (`np.get_printoptions()`). */
const LINE_WIDTH = 75;
const PRECISION = 8;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const SUMMARY = '...';

/** A finite non-negative decimal: `0.d₁d₂d₃… × 10^(exponent + 1)`, i.e. d₁ sits at 10^exponent. */
interface Decimal {
  /** Significant digits without leading zeros ('0' for zero). */
  digits: string;
  /** Power of ten of the first digit. */
  exponent: number;
}

/** Parses JS number text (`"0.00123"`, `"1.5e-7"`, `"123"`) into significant digits and exponent. */
function parseDecimal(text: string): Decimal {
  const [mantissa = '', power = '0'] = text.replace(/^-/, '').split('e');
  const [integer = '', fraction = ''] = mantissa.split('.');
  const all = integer + fraction;
  const leading = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(leading).replace(/0+$/, '');
  if (digits === '') return { digits: '0', exponent: 0 };
  return { digits, exponent: integer.length - 1 - leading + Number(power) };
}

/** The exact decimal expansion of a double (at most 100 significant digits, enough for ties). */
function exactDecimal(value: number): Decimal {
  return parseDecimal(Math.abs(value).toPrecision(100));
}

/**
 * Rounds an exact expansion to `keep` significant digits, ties to even: numpy's Dragon4 rounds the
 * exact binary value this way, where `toPrecision` and `toFixed` would round ties up.
 */
function roundDecimal(exact: Decimal, keep: number): Decimal {
  if (keep <= 0) return { digits: '0', exponent: 0 };
  if (exact.digits.length <= keep) return exact;
  const head = exact.digits.slice(0, keep);
  const next = exact.digits.charCodeAt(keep) - 48;
  const tie = next === 5 && /^0*$/.test(exact.digits.slice(keep + 1));
  const roundUp = tie ? (head.charCodeAt(keep - 1) - 48) % 2 === 1 : next >= 5;
  if (!roundUp) return { digits: head.replace(/0+$/, '') || '0', exponent: exact.exponent };
  // Add one unit in the last kept place, carrying through nines.
  const carried = (BigInt(head) + 1n).toString();
  return { digits: carried.replace(/0+$/, ''), exponent: exact.exponent + (carried.length - head.length) };
}

function decimalValue({ digits, exponent }: Decimal): number {
  return Number(`${digits[0]}.${digits.slice(1)}e${exponent}`);
}

/** The shortest digits that read back as the same value at the array's precision (ties to even). */
function shortestDecimal(value: number, dtype: DType): Decimal {
  if (dtype === 'float64') return parseDecimal(Math.abs(value).toExponential());
  const magnitude = Math.abs(value);
  const exact = exactDecimal(magnitude);
  for (let keep = 1; keep < 9; keep++) {
    const candidate = roundDecimal(exact, keep);
    if (Math.fround(decimalValue(candidate)) === magnitude) return candidate;
  }
  return roundDecimal(exact, 9);
}

/** numpy `dragon4_positional(x, precision=8, unique=True, trim='.')` digits, split at the point. */
function positionalParts(value: number, dtype: DType): { integer: string; fraction: string } {
  let decimal = shortestDecimal(value, dtype);
  if (decimal.digits.length - 1 - decimal.exponent > PRECISION) {
    decimal = roundDecimal(exactDecimal(value), decimal.exponent + 1 + PRECISION);
  }
  const { digits, exponent } = decimal;
  let integer: string;
  let fraction: string;
  if (digits === '0') {
    integer = '0';
    fraction = '';
  } else if (exponent >= 0) {
    integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    fraction = digits.slice(exponent + 1);
  } else {
    integer = '0';
    fraction = '0'.repeat(-exponent - 1) + digits;
  }
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  return { integer: sign + integer, fraction: fraction.replace(/0+$/, '') };
}

/** numpy `dragon4_scientific(x, precision=8, unique=True, trim='.')` as mantissa digits and exponent. */
function scientificParts(value: number, dtype: DType): { sign: string; digits: string; exponent: number } {
  let decimal = shortestDecimal(value, dtype);
  if (decimal.digits.length - 1 > PRECISION) decimal = roundDecimal(exactDecimal(value), PRECISION + 1);
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  return { sign, digits: decimal.digits, exponent: decimal.digits === '0' ? 0 : decimal.exponent };
}

function exponentText(exponent: number, width: number): string {
  return `e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(width, '0')}`;
}

function nonFinite(value: number): string | null {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return null;
}

/**
 * Formats every element to strings of equal width with one shared layout, as numpy's
 * `FloatingFormat` (floats) or `IntegerFormat` (int32) does for the elements it prints.
 */
export function formatElements(values: ArrayLike<number>, dtype: DType): string[] {
  const texts = dtype === 'int32' ? Array.from(values, (v) => String(v)) : floatTexts(values, dtype);
  const width = widest(texts, (text) => text.length);
  return texts.map((text) => text.padStart(width));
}

/** The float elements in numpy's shared layout (before padding): scientific or positional, as numpy chooses. */
function floatTexts(values: ArrayLike<number>, dtype: DType): string[] {
  let maxAbs = 0;
  let minAbs = Infinity;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i]!);
    if (magnitude === 0 || !Number.isFinite(magnitude)) continue;
    maxAbs = Math.max(maxAbs, magnitude);
    minAbs = Math.min(minAbs, magnitude);
  }
  // numpy divides in the array's own precision (float32 for float32 data).
  const ratio = dtype === 'float32' ? Math.fround(maxAbs / minAbs) : maxAbs / minAbs;
  const scientific = maxAbs > 0 && (maxAbs >= 1e8 || minAbs < 1e-4 || ratio > 1000);
  return scientific ? scientificTexts(values, dtype) : positionalTexts(values, dtype);
}

/** `parts(v)` of every finite value, null for NaN and ±∞ (which print as nonFinite says). */
function finiteParts<Part>(values: ArrayLike<number>, parts: (value: number) => Part): (Part | null)[] {
  return Array.from(values, (v) => (Number.isFinite(v) ? parts(v) : null));
}

/** The largest `size(item)` over the items that are not null, and at least `least`. */
function widest<Item>(items: readonly (Item | null)[], size: (item: Item) => number, least = 0): number {
  let width = least;
  for (const item of items) if (item !== null) width = Math.max(width, size(item));
  return width;
}

/** Scientific texts sharing the longest mantissa and exponent. */
function scientificTexts(values: ArrayLike<number>, dtype: DType): string[] {
  const parts = finiteParts(values, (v) => scientificParts(v, dtype));
  const mantissaDigits = widest(parts, (part) => part.digits.length - 1);
  const exponentWidth = widest(parts, (part) => String(Math.abs(part.exponent)).length, 2);
  return parts.map((part, i) => {
    if (!part) return nonFinite(values[i]!)!;
    // numpy prints further digits of the exact value (not zeros) up to the shared precision.
    const digits =
      part.digits.length - 1 < mantissaDigits
        ? roundDecimal(exactDecimal(values[i]!), mantissaDigits + 1)
        : part;
    const exponent = digits.digits === '0' ? 0 : digits.exponent;
    const fraction = digits.digits.slice(1).padEnd(mantissaDigits, '0');
    return `${part.sign}${digits.digits[0]}.${fraction}${exponentText(exponent, exponentWidth)}`;
  });
}

/** Positional texts with the integer parts right-aligned and the fractions padded to the longest. */
function positionalTexts(values: ArrayLike<number>, dtype: DType): string[] {
  const parts = finiteParts(values, (v) => positionalParts(v, dtype));
  const integerWidth = widest(parts, (part) => part.integer.length);
  const fractionWidth = widest(parts, (part) => part.fraction.length);
  return parts.map((part, i) =>
    part
      ? `${part.integer.padStart(integerWidth)}.${part.fraction.padEnd(fractionWidth)}`
      : nonFinite(values[i]!)!,
  );
}

/**
 * numpy's `str` of a 0-d array, i.e. of the scalar: positional with the shortest digits (at least
 * one fractional digit) for 1e-4 <= |x| < 1e16 and zero, scientific without trailing zeros otherwise.
 */
export function formatScalar(value: number, dtype: DType): string {
  if (dtype === 'int32') return String(value);
  const special = nonFinite(value);
  if (special !== null) return special;
  const magnitude = Math.abs(value);
  if (magnitude === 0 || (magnitude >= 1e-4 && magnitude < 1e16)) {
    const { digits, exponent } = shortestDecimal(value, dtype);
    const sign = value < 0 || Object.is(value, -0) ? '-' : '';
    if (digits === '0') return `${sign}0.0`;
    if (exponent >= 0) {
      const integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
      return `${sign}${integer}.${digits.slice(exponent + 1) || '0'}`;
    }
    return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  const { digits, exponent } = shortestDecimal(value, dtype);
  const sign = value < 0 ? '-' : '';
  const fraction = digits.slice(1);
  return `${sign}${digits[0]}${fraction ? `.${fraction}` : ''}${exponentText(exponent, 2)}`;
}

/** The indices printed along an axis of length `dim`: all, or the first and last 3 when summarising. */
function shownIndices(dim: number, summarize: boolean): number[] {
  if (summarize && dim > 2 * EDGE_ITEMS) {
    return [0, 1, 2, dim - 3, dim - 2, dim - 1];
  }
  return Array.from({ length: dim }, (_, i) => i);
}

/** numpy `_extendLine`: appends `word`, first wrapping when the line would grow past `width`. */
function extendLine(
  state: { text: string; line: string },
  word: string,
  width: number,
  prefix: string,
): void {
  // Wrapping cannot help when the line holds nothing but its indent.
  if (state.line.length + word.length > width && state.line.length > prefix.length) {
    state.text += `${state.line.trimEnd()}\n`;
    state.line = prefix;
  }
  state.line += word;
}

/**
 * The text numpy's `str()` gives for an array (without MXNet's `<NDArray …>` footer).
 * @param data row-major elements
 */
export function formatArray(data: ArrayLike<number>, shape: readonly number[], dtype: DType): string {
  if (shape.length === 0) return formatScalar(data[0]!, dtype);
  if (data.length === 0) return '[]';
  const summarize = data.length > THRESHOLD;
  const shown = shape.map((dim) => shownIndices(dim, summarize));
  const strides = new Array<number>(shape.length);
  for (let axis = shape.length - 1, stride = 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }

  // Only the printed elements decide the layout (numpy formats `_leading_trailing(data)`). Both
  // walks below loop with explicit counters and stacks rather than recursing once per axis, so
  // arrays of any rank print (nd.array accepts nesting thousands of levels deep).
  const rank = shape.length;
  const positions: number[] = [];
  const counters = new Array<number>(rank).fill(0);
  for (;;) {
    let offset = 0;
    for (let axis = 0; axis < rank; axis++) offset += shown[axis]![counters[axis]!]! * strides[axis]!;
    positions.push(offset);
    let axis = rank - 1;
    while (axis >= 0 && ++counters[axis]! === shown[axis]!.length) counters[axis--] = 0;
    if (axis < 0) break;
  }
  const values = positions.map((p) => data[p]!);
  const texts = formatElements(values, dtype);
  const textAt = new Map<number, string>();
  for (let i = 0; i < positions.length; i++) textAt.set(positions[i]!, texts[i]!);

  // numpy `_formatArray` with separator ' ', prefix ' ' and line width 75.
  const gapOf = (axis: number): number => (shown[axis]!.length < shape[axis]! ? EDGE_ITEMS : -1);
  // The last axis: its elements, wrapped at `width`.
  const renderRow = (offset: number, indent: string, width: number): string => {
    const axis = rank - 1;
    const gap = gapOf(axis);
    const indices = shown[axis]!;
    const state = { text: '', line: indent };
    const elementWidth = width - 1;
    indices.forEach((index, k) => {
      if (k === gap) {
        extendLine(state, SUMMARY, elementWidth, indent);
        state.line += ' ';
      }
      extendLine(state, textAt.get(offset + index * strides[axis]!)!, elementWidth, indent);
      if (k < indices.length - 1) state.line += ' ';
    });
    return `[${(state.text + state.line).slice(indent.length)}]`;
  };
  if (rank === 1) return renderRow(0, ' ', LINE_WIDTH);
  // The outer axes: each frame collects its rows (the child's text, indented after the first
  // row); a finished frame's text becomes a row of its parent. Rows are separated by one newline
  // per axis below. Strings are only ever joined, never sliced, so deep nesting stays linear.
  interface Frame {
    axis: number;
    offset: number;
    indent: string;
    width: number;
    next: number;
    rows: string[];
  }
  const pushRow = (frame: Frame, text: string): void => {
    frame.rows.push(frame.rows.length === 0 ? text : frame.indent + text);
  };
  const stack: Frame[] = [{ axis: 0, offset: 0, indent: ' ', width: LINE_WIDTH, next: 0, rows: [] }];
  for (;;) {
    const frame = stack[stack.length - 1]!;
    const indices = shown[frame.axis]!;
    if (frame.next === indices.length) {
      stack.pop();
      const rows = frame.rows;
      const text = rows.length === 1 ? `[${rows[0]}]` : `[${rows.join('\n'.repeat(rank - frame.axis - 1))}]`;
      const parent = stack[stack.length - 1];
      if (!parent) return text;
      pushRow(parent, text);
      continue;
    }
    const k = frame.next++;
    if (k === gapOf(frame.axis)) pushRow(frame, SUMMARY);
    const offset = frame.offset + indices[k]! * strides[frame.axis]!;
    const indent = `${frame.indent} `;
    if (frame.axis + 1 === rank - 1) pushRow(frame, renderRow(offset, indent, frame.width - 1));
    else stack.push({ axis: frame.axis + 1, offset, indent, width: frame.width - 1, next: 0, rows: [] });
  }
}
