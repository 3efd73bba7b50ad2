/**
 * The numbers in the API docs' examples. Every ```ts block after an `@example` in a TSDoc comment
 * of src/ that states a result runs, and each statement line whose trailing comment starts with a
 * result — `// [0.5 2.5]`, `// [[1 2] [3 4]]`, `// 6.6516523 (0-d)` — must give those numbers to
 * the digits printed (MXNet's seven significant digits in most). A user copies these lines; a
 * wrong number there is a wrong number. Blocks that import modules (file output, TF.js, plots)
 * and lines without a stated result are not checked.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import * as gloss from '../../src/index.js';
import { NDArray } from '../../src/ndarray/ndarray.js';

const SOURCES = join(import.meta.dirname, '..', '..', 'src');

/** Every .ts file under a folder. */
function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The code of each ```ts block that follows an @example tag, with the comment's ` * ` removed. */
function exampleBlocks(source: string): { code: string[]; line: number }[] {
  const lines = source.split('\n');
  const blocks: { code: string[]; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\b/.test(lines[i]!)) continue;
    let start = i + 1;
    while (start < lines.length && !/^\s*\*\s*```(ts|typescript)?\s*$/.test(lines[start]!)) {
      if (/^\s*\*\//.test(lines[start]!)) break;
      start++;
    }
    if (!/```/.test(lines[start] ?? '')) continue;
    const code: string[] = [];
    let end = start + 1;
    for (; end < lines.length && !/^\s*\*\s*```\s*$/.test(lines[end]!); end++)
      code.push(lines[end]!.replace(/^\s*\* ?/, ''));
    blocks.push({ code, line: start + 2 });
    i = end;
  }
  return blocks;
}

/**
 * The numbers a result comment states, as printed (all of them for an array, the first for a
 * scalar), or null: their values and their decimal places both come from these.
 */
function statedNumbers(comment: string): string[] | null {
  const text = comment.trim();
  if (text.startsWith('[')) {
    let depth = 0;
    let end = 0;
    for (; end < text.length; end++) {
      if (text[end] === '[') depth++;
      if (text[end] === ']' && --depth === 0) break;
    }
    const tokens = text.slice(0, end + 1).match(/-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?|NaN|-?Infinity/gi);
    if (!tokens || depth !== 0) return null;
    return tokens;
  }
  const match = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(text);
  return match ? [match[0]] : null;
}

/** Decimal places of a printed number (for its rounding tolerance). */
function decimals(printed: string): number {
  const mantissa = printed.split(/e/i)[0]!;
  const dot = mantissa.indexOf('.');
  return dot < 0 ? 0 : mantissa.length - dot - 1;
}

/** Whether parentheses, brackets and braces balance in a line (a one-line statement). */
function balanced(code: string): boolean {
  let depth = 0;
  for (const c of code) {
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) depth--;
  }
  return depth === 0;
}

interface Check {
  readonly where: string;
  readonly stated: string;
}

/**
 * The block with each checked line rewritten as __check(index, <expression>); returns the code and
 * what each check states. A checked line: a one-line expression statement (not a declaration)
 * ending in `;` whose comment states numbers.
 */
function instrument(code: string[], file: string, firstLine: number): { js: string; checks: Check[] } {
  const checks: Check[] = [];
  const lines = code.map((line, k) => {
    const at = line.indexOf('// ');
    if (at < 0) return line;
    const statement = line.slice(0, at).trim();
    const comment = line.slice(at + 3);
    if (!statement.endsWith(';') || /^(const|let|var|import|export)\b/.test(statement)) return line;
    if (!balanced(statement) || statedNumbers(comment) === null) return line;
    checks.push({ where: `${file}:${firstLine + k}`, stated: comment.trim() });
    return `__check(${checks.length - 1}, ${statement.slice(0, -1)});`;
  });
  const js = ts.transpileModule(lines.join('\n'), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  return { js, checks };
}

/** The numbers a checked expression gave. */
function valuesOf(value: unknown): number[] {
  if (value instanceof NDArray) return Array.from(value.data, Number);
  if (typeof value === 'number') return [value];
  // A shape, or any plain array of numbers.
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value;
  throw new Error(`the expression gave ${typeof value}, not an NDArray, a number or numbers`);
}

test('the results stated in the API docs examples are what the code gives', (t) => {
  // The package's exports, and `nn` as the examples write gluon.nn (`const { nn } = gluon`).
  const scope: Record<string, unknown> = { ...gloss, nn: gloss.gluon.nn };
  const names = Object.keys(scope);
  const failures: string[] = [];
  let checked = 0;
  let blocksRun = 0;
  for (const path of sourceFiles(SOURCES)) {
    const file = relative(join(SOURCES, '..'), path);
    for (const block of exampleBlocks(readFileSync(path, 'utf8'))) {
      if (block.code.some((line) => /^\s*import\b/.test(line))) continue;
      const { js, checks } = instrument(block.code, file, block.line);
      if (checks.length === 0) continue;
      blocksRun++;
      const results = new Map<number, unknown>();
      const run = new Function('__check', ...names, js) as (...args: unknown[]) => void;
      try {
        run((index: number, value: unknown) => results.set(index, value), ...names.map((n) => scope[n]));
      } catch (error) {
        failures.push(`${file} (example at line ${block.line}) threw ${(error as Error).message}`);
        continue;
      }
      checks.forEach((check, index) => {
        checked++;
        const printed = statedNumbers(check.stated)!;
        const stated = printed.map(Number);
        let actual: number[];
        try {
          actual = valuesOf(results.get(index));
        } catch (error) {
          failures.push(`${check.where}: ${(error as Error).message}`);
          return;
        }
        const wrong =
          actual.length !== stated.length ||
          stated.some((expected, i) => {
            const value = actual[i]!;
            if (!Number.isFinite(expected))
              return !Object.is(value, expected) && !(Number.isNaN(value) && Number.isNaN(expected));
            // Half a unit in the last printed place, plus float32 rounding of the value itself.
            const tolerance = 0.5 * 10 ** -decimals(printed[i]!) + 1e-7 * Math.abs(expected);
            return !(Math.abs(value - expected) <= tolerance);
          });
        if (wrong)
          failures.push(
            `${check.where}: the docs state ${check.stated}, the code gives [${actual.join(' ')}]`,
          );
      });
    }
  }
  t.diagnostic(`${checked} stated results checked in ${blocksRun} examples`);
  assert.deepEqual(failures, [], failures.join('\n'));
  // Not vacuous: the loss examples alone state about 40 results.
  assert.ok(checked >= 35 && blocksRun >= 30, `${checked} results checked in ${blocksRun} examples`);
});
