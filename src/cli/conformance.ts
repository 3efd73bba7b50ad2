/**
 * `gloss conformance PATH... [--dtype float32|float64] [--json FILE]`: runs case files or
 * directories of them (searched recursively for .json), prints one line per failing case, one
 * line per loss with its counts, and ends with `N passed, N failed`.
 * @module
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type CaseFile, type CaseResult, runFile } from '../conformance/run.js';
import type { DType } from '../ndarray/dtype.js';

export const CONFORMANCE_HELP = `Usage: gloss conformance PATH... [--dtype float32|float64] [--json FILE]

Runs conformance case files (or directories, searched recursively for .json files) and checks
every loss value and gradient at the case's tolerance (float64) or the float32 tolerance.

Options:
  --dtype float32|float64  precision to run in (default float64)
  --json FILE              also write every case result as JSON
  -h, --help               show this help`;

function collect(path: string): string[] {
  if (statSync(path).isDirectory()) {
    return readdirSync(path)
      .sort()
      .flatMap((name) => collect(join(path, name)));
  }
  return path.endsWith('.json') ? [path] : [];
}

export function conformanceCommand(argv: string[], out: (line: string) => void): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dtype: { type: 'string', default: 'float64' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out(CONFORMANCE_HELP);
    return 0;
  }
  const dtype = values.dtype as DType;
  if (dtype !== 'float32' && dtype !== 'float64') {
    out(`gloss conformance: --dtype must be float32 or float64, got ${values.dtype}`);
    return 2;
  }
  if (positionals.length === 0) {
    out(`gloss conformance: give at least one PATH\n\n${CONFORMANCE_HELP}`);
    return 2;
  }
  const files = positionals.flatMap((p) => {
    try {
      return collect(p);
    } catch {
      out(`gloss conformance: cannot read ${p}`);
      return [];
    }
  });
  const results: (CaseResult & { file: string })[] = [];
  for (const file of files) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CaseFile;
    if (!Array.isArray(parsed.cases)) continue;
    for (const result of runFile(parsed, dtype)) results.push({ ...result, file });
  }
  const perLoss = new Map<string, { passed: number; failed: number }>();
  for (const r of results) {
    const entry = perLoss.get(r.loss) ?? { passed: 0, failed: 0 };
    if (r.passed) entry.passed++;
    else {
      entry.failed++;
      out(`FAIL ${r.loss} ${r.id} (${r.file}): ${r.message} [worst ${r.worst.toPrecision(3)}x tolerance]`);
    }
    perLoss.set(r.loss, entry);
  }
  for (const [loss, counts] of [...perLoss].sort(([a], [b]) => a.localeCompare(b))) {
    out(`${loss}: ${counts.passed} passed, ${counts.failed} failed`);
  }
  const failed = results.filter((r) => !r.passed).length;
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ dtype, results }, null, 1)}\n`);
  out(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0 && results.length > 0 ? 0 : 1;
}
