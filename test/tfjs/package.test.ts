/**
 * gloss-ml/tfjs keeps TF.js out of the core: only src/tfjs imports a package (its optional peer
 * @tensorflow/tfjs-core), no other entry reaches src/tfjs, and package.json declares the entry
 * and the optional peer.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

/** Specifiers of a source file's imports and re-exports (comments removed: they hold examples). */
function imports(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [
    ...code.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => (m[1] ?? m[2])!);
}

/** Every source file reached from `entry` through relative imports. */
function reached(entry: string): string[] {
  const seen = new Set([resolve(entry)]);
  const pending = [...seen];
  while (pending.length > 0) {
    const file = pending.pop()!;
    for (const specifier of imports(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      if (existsSync(target) && !seen.has(target)) {
        seen.add(target);
        pending.push(target);
      }
    }
  }
  return [...seen].map((file) => relative('.', file));
}

test('src/tfjs imports no package but @tensorflow/tfjs-core', () => {
  const files = readdirSync(join('src', 'tfjs')).map((name) => join('src', 'tfjs', name));
  const packages = new Set(files.flatMap((file) => imports(file).filter((s) => !s.startsWith('.'))));
  assert.deepEqual([...packages], ['@tensorflow/tfjs-core']);
});

test('no other entry reaches src/tfjs', () => {
  const entries = [
    'src/index.ts',
    'src/plot/index.ts',
    'src/node/index.ts',
    'src/testing/index.ts',
    'src/typed/index.ts',
  ];
  for (const entry of entries) {
    const tfjsFiles = reached(entry).filter((file) => file.startsWith(join('src', 'tfjs')));
    assert.deepEqual(tfjsFiles, [], `${entry} reaches ${tfjsFiles.join(', ')}`);
  }
});

test('package.json: the ./tfjs entry and tfjs-core 4.x as an optional peer dependency', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  assert.deepEqual(pkg.exports['./tfjs'], {
    types: './dist/tfjs/index.d.ts',
    default: './dist/tfjs/index.js',
  });
  assert.match(pkg.peerDependencies['@tensorflow/tfjs-core'], /^\^4\./);
  assert.equal(pkg.peerDependenciesMeta['@tensorflow/tfjs-core'].optional, true);
  assert.equal(pkg.dependencies['@tensorflow/tfjs-core'], undefined);
});
