/** The plot module must run unchanged in the browser: no DOM, no Node built-ins, two small libraries. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const files = readdirSync('src/plot').filter((f) => f.endsWith('.ts'));
/** A file's code without comments (examples in TSDoc may import anything). */
const codeOf = (file: string) =>
  readFileSync(`src/plot/${file}`, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');

test('src/plot imports only d3-scale, d3-shape, its own files and the error classes', () => {
  assert.ok(files.length > 0);
  for (const file of files) {
    for (const [, specifier] of codeOf(file).matchAll(/from '([^']+)'/g)) {
      const allowed =
        specifier === 'd3-scale' ||
        specifier === 'd3-shape' ||
        /^\.\/[\w-]+\.js$/.test(specifier!) ||
        specifier === '../ndarray/errors.js';
      assert.ok(allowed, `${file} imports ${specifier}`);
    }
  }
});

test('src/plot uses no DOM or Node globals', () => {
  for (const file of files) {
    const code = codeOf(file);
    for (const name of ['document', 'window', 'process', 'Buffer', 'require(']) {
      assert.ok(!new RegExp(`\\b${name.replace('(', '\\(')}`).test(code), `${file} uses ${name}`);
    }
  }
});
