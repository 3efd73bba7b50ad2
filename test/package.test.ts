/**
 * Package-level promises: the core never imports Node built-ins (it must run in browsers), the
 * core has no runtime dependencies (only the plot module uses d3), and package.json declares an
 * ESM, side-effect-free package with typed entry points.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  // Comments hold usage examples (`import … from 'gloss'`); only code counts.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [
    ...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => (m[1] ?? m[2])!);
}

const nodeOnly = (file: string) =>
  file.startsWith(join('src', 'cli')) || file.startsWith(join('src', 'node'));

test('the core imports no Node built-ins', () => {
  const offenders = sources('src')
    .filter((file) => !nodeOnly(file))
    .flatMap((file) =>
      imports(file)
        .filter((s) => s.startsWith('node:') || ['fs', 'path', 'os', 'url', 'module'].includes(s))
        .map((s) => `${file}: ${s}`),
    );
  assert.deepEqual(offenders, []);
});

test('the core has no runtime dependencies outside the plot module', () => {
  const offenders = sources('src')
    .filter((file) => !nodeOnly(file) && !file.startsWith(join('src', 'plot')))
    .flatMap((file) =>
      imports(file)
        .filter((s) => !s.startsWith('.'))
        .map((s) => `${file}: ${s}`),
    );
  assert.deepEqual(offenders, []);
});

test('package.json declares an ESM, side-effect-free package with typed entries and the gloss bin', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  assert.equal(pkg.name, 'gloss');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.sideEffects, false);
  for (const entry of ['.', './node', './testing']) {
    assert.ok(pkg.exports[entry].types.endsWith('.d.ts'), `${entry} has types`);
  }
  assert.equal(pkg.bin.gloss, './bin/gloss.js');
  assert.equal(pkg.scripts.test, 'node scripts/run-tests.mjs');
});
