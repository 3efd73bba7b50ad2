/**
 * Prints arrays the way MXNet does (numpy's `str` of the values, then `<NDArray 2x3 @cpu(0)>`).
 * Float values use the shortest decimal that round-trips at the array's precision, with numpy's
 * padding rules, so `[0.5, 1]` prints as `[0.5 1. ]`.
 */
import type { DType, TypedArray } from './dtype.js';

const MAX_FRACTION_DIGITS = 8;

function shortest(value: number, dtype: DType): string {
  if (dtype === 'float64') return String(value);
  for (let precision = 1; precision <= 9; precision++) {
    const text = value.toPrecision(precision);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(value);
}

/** Splits a plain decimal (no exponent) into integer and fraction digits. */
function positional(value: number, dtype: DType): { integer: string; fraction: string } {
  let text = shortest(value, dtype);
  if (/e/i.test(text)) text = value.toFixed(MAX_FRACTION_DIGITS).replace(/0+$/, '');
  const [integer = '', fraction = ''] = text.split('.');
  if (fraction.length > MAX_FRACTION_DIGITS) {
    const rounded = value.toFixed(MAX_FRACTION_DIGITS).replace(/0+$/, '');
    const [i2 = '', f2 = ''] = rounded.split('.');
    return { integer: i2, fraction: f2 };
  }
  return { integer, fraction };
}

function scientific(value: number, digits: number): string {
  const text = value.toExponential(digits);
  const [mantissa = '', exponent = ''] = text.split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  const magnitude = exponent.replace(/^[+-]/, '').padStart(2, '0');
  return `${digits === 0 ? `${mantissa}.` : mantissa}e${sign}${magnitude}`;
}

function nonFinite(value: number): string | null {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return null;
}

/** Formats every element to a string of equal width, following numpy's FloatingFormat. */
export function formatElements(data: TypedArray, dtype: DType): string[] {
  const values = Array.from(data);
  if (dtype === 'int32') {
    const texts = values.map(String);
    const width = Math.max(0, ...texts.map((t) => t.length));
    return texts.map((t) => t.padStart(width));
  }
  const finite = values.filter((v) => Number.isFinite(v));
  const magnitudes = finite.map(Math.abs).filter((v) => v !== 0);
  const maxAbs = magnitudes.length ? Math.max(...magnitudes) : 0;
  const minAbs = magnitudes.length ? Math.min(...magnitudes) : 0;
  const useScientific = maxAbs >= 1e8 || (minAbs > 0 && minAbs < 1e-4) || (minAbs > 0 && maxAbs / minAbs > 1e3);
  let texts: string[];
  if (useScientific) {
    // numpy: every element gets as many mantissa digits as the longest shortest-repr needs.
    const exponential = (v: number) => Number(shortest(v, dtype)).toExponential();
    let digits = 0;
    for (const v of finite) {
      const fraction = exponential(v).split('e')[0]!.split('.')[1] ?? '';
      digits = Math.max(digits, Math.min(fraction.length, MAX_FRACTION_DIGITS));
    }
    texts = values.map((v) => nonFinite(v) ?? scientific(Number(shortest(v, dtype)), digits));
  } else {
    const parts = values.map((v) => (Number.isFinite(v) ? positional(v, dtype) : null));
    const fractionWidth = Math.max(0, ...parts.map((p) => (p ? p.fraction.length : 0)));
    texts = values.map((v, i) => {
      const special = nonFinite(v);
      if (special !== null) return special;
      const part = parts[i]!;
      const integer = part.integer === '' ? '0' : part.integer;
      const sign = Object.is(v, -0) && integer === '0' ? '-' : '';
      return `${sign}${integer}.${part.fraction.padEnd(fractionWidth)}`;
    });
  }
  const width = Math.max(0, ...texts.map((t) => t.length));
  return texts.map((t) => t.padStart(width));
}

/** numpy-style nested rendering of already formatted elements. */
export function renderNested(elements: readonly string[], shape: readonly number[]): string {
  if (shape.length === 0) return elements[0] ?? '';
  const render = (depth: number, offset: number, indent: string): string => {
    const dim = shape[depth]!;
    if (depth === shape.length - 1) {
      return `[${elements.slice(offset, offset + dim).join(' ')}]`;
    }
    let block = 1;
    for (let i = depth + 1; i < shape.length; i++) block *= shape[i]!;
    const rows: string[] = [];
    for (let i = 0; i < dim; i++) rows.push(render(depth + 1, offset + i * block, `${indent} `));
    const separator = `${'\n'.repeat(shape.length - depth - 1)}${indent} `;
    return `[${rows.join(separator)}]`;
  };
  return render(0, 0, '');
}
