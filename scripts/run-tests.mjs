#!/usr/bin/env node
// Runs every test file under test/ with Node's built-in runner (through tsx).
// Node 20's runner has no globs and passes with zero files, so the list is built here and an
// empty list is an error. Extra arguments are passed through (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

function collect(dir) {
  const files = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...collect(path));
    else if (name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

const filter = process.argv.slice(2);
let files = collect('test').map((f) => relative('.', f));
if (filter.length > 0) files = files.filter((f) => filter.some((part) => f.includes(part)));
if (files.length === 0) {
  console.error('run-tests: no test files found under test/');
  process.exit(1);
}
// Tests that start the CLI in a temporary folder still map `gloss-ml` to src/ (tsconfig.json
// paths): tsx looks for tsconfig.json in the working folder unless TSX_TSCONFIG_PATH names it.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, TSX_TSCONFIG_PATH: resolve('tsconfig.json') },
});
process.exit(result.status ?? 1);
