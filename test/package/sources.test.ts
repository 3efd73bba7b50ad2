/**
 * Package-level promises, read from the sources: the core never imports Node built-ins (it must
 * run in browsers), the core has no runtime dependencies (only `gloss-ml/plot` uses d3), and
 * package.json declares the ESM, side-effect-free package `gloss-ml` with typed entry points.
 * test/package/install.test.ts checks the same on the packed and installed package.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  // Comments hold usage examples (`import … from 'gloss-ml'`); only code counts.
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
    // gloss-ml/tfjs loads its optional peer @tensorflow/tfjs-core (test/tfjs/package.test.ts).
    .filter(
      (file) =>
        !nodeOnly(file) && !file.startsWith(join('src', 'plot')) && !file.startsWith(join('src', 'tfjs')),
    )
    .flatMap((file) =>
      imports(file)
        .filter((s) => !s.startsWith('.'))
        .map((s) => `${file}: ${s}`),
    );
  assert.deepEqual(offenders, []);
});

test('package.json declares the ESM, side-effect-free package gloss-ml with typed entries and the gloss bin', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  assert.equal(pkg.name, 'gloss-ml');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.sideEffects, false);
  assert.equal(pkg.license, 'Apache-2.0');
  for (const entry of ['.', './plot', './node', './testing', './notebook', './tfjs', './kernels']) {
    assert.ok(pkg.exports[entry].types.endsWith('.d.ts'), `${entry} has types`);
    const source = pkg.exports[entry].default.replace('./dist/', 'src/').replace(/\.js$/, '.ts');
    assert.ok(statSync(source).isFile(), `${entry} is built from ${source}`);
  }
  assert.equal(pkg.bin.gloss, './bin/gloss.js');
  assert.equal(pkg.scripts.test, 'node scripts/run-tests.mjs');
  // A fresh clone's `npm ci` builds dist/, so bin/gloss.js works without another command.
  assert.match(pkg.scripts.prepare, /build/);
  // Dependencies of the optional entries only (CLI progress bars, plot scales, the tutorial page's math).
  assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['cli-progress', 'd3-scale', 'd3-shape', 'katex']);
});

test('the core entry does not re-export the plot module (it would load d3)', () => {
  const text = readFileSync(join('src', 'index.ts'), 'utf8');
  assert.doesNotMatch(text, /plot\//);
});

test('examples, bench, README and docs import the package by its name, gloss-ml', () => {
  const userFacing = [
    ...sources('examples'),
    ...sources('bench'),
    'README.md',
    ...readdirSync('docs')
      .filter((name) => name.endsWith('.md'))
      .map((name) => join('docs', name)),
  ];
  const offenders = userFacing.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/from ['"](gloss(?:\/[\w-]+)?|\.\.\/src\/index\.js)['"]/g)].map(
      (m) => `${relative('.', file)}: ${m[1]}`,
    ),
  );
  assert.deepEqual(offenders, []);
});
