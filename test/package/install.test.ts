/**
 * The package as users get it: `npm pack` (which runs `prepare`, a fresh build), then
 * `npm install <tarball>` into an empty folder, then the installed `gloss` command and entries.
 * Checks the tarball's file list, `gloss --version`, that `gloss tutorial` writes the same out/ as
 * the checkout's `npm start`, that the core entry loads nothing outside its own dist/ files, and
 * that the shipped .d.ts files type-check a strict consumer.
 * The install prefers npm's cache (`--prefer-offline`): the checkout's `npm ci` filled it with every
 * dependency, so no download is needed on CI. Skipped, with a message, only when npm is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../cli/_run-cli.js';
import { importGraph } from './_import-graph.js';

const REPO = resolve('.');
const VERSION: string = JSON.parse(readFileSync('package.json', 'utf8')).version;

/** This process's environment without what `npm test` exports for the checkout (its local prefix
 * would make the nested `npm install` install into the checkout instead of the empty folder). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) || /^npm_config_(cache|registry)$/i.test(key)) env[key] = value;
  }
  return env;
}

function run(command: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 180_000, env: childEnv() });
  if (result.error) throw result.error;
  return result;
}

function succeeded(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(result.status, 0, `${what} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      return entry.isDirectory() ? filesUnder(dir, path) : [path];
    })
    .sort();
}

const npmMissing = spawnSync('npm', ['--version'], { encoding: 'utf8' }).error !== undefined;

describe('the packed and installed package', { skip: npmMissing && 'npm is not on PATH' }, () => {
  let work: string;
  let packed: string[];
  let app: string;
  const installed = () => join(app, 'node_modules', 'gloss-ml');
  const gloss = () => join(app, 'node_modules', '.bin', 'gloss');

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'gloss-install-'));
    const pack = JSON.parse(
      succeeded(run('npm', ['pack', '--json', '--pack-destination', work], REPO), 'npm pack'),
    );
    packed = pack[0].files.map((file: { path: string }) => file.path).sort();
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "probe", "private": true, "type": "module" }\n');
    succeeded(
      run(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, pack[0].filename)],
        app,
      ),
      'npm install <tarball>',
    );
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the tarball holds what a user needs and nothing else', () => {
    for (const file of [
      'LICENSE',
      'NOTICE',
      'README.md',
      'package.json',
      'bin/gloss.js',
      'examples/tutorial.ts',
      'docs/migrating.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/plot/index.js',
      'dist/node/index.js',
      'dist/testing/index.js',
      'dist/cli/main.js',
      'dist/examples/tutorial.js',
    ]) {
      assert.ok(packed.includes(file), `${file} is packed`);
    }
    const extra = packed.filter(
      (file) =>
        /^(src|test|bench|scripts|demo|docs-api|out)\//.test(file) ||
        file.endsWith('.map') ||
        file.endsWith('.tsbuildinfo') ||
        file.endsWith('.wat') ||
        (file.endsWith('.ts') && !file.endsWith('.d.ts') && file !== 'examples/tutorial.ts'),
    );
    assert.deepEqual(extra, []);
    const license = readFileSync(join(installed(), 'LICENSE'), 'utf8');
    assert.match(license, /Apache License\s+Version 2\.0/);
    assert.match(readFileSync(join(installed(), 'NOTICE'), 'utf8'), /Apache MXNet/);
  });

  test('gloss --version and -v print the package version', () => {
    for (const flag of ['--version', '-v']) {
      assert.equal(succeeded(run(gloss(), [flag], app), `gloss ${flag}`).trim(), VERSION);
    }
  });

  test('gloss tutorial writes the same out/ as the checkout, and prints the same', () => {
    const fromPackage = join(work, 'tutorial-installed');
    const fromCheckout = join(work, 'tutorial-checkout');
    mkdirSync(fromPackage);
    mkdirSync(fromCheckout);
    const installedRun = run(gloss(), ['tutorial'], fromPackage);
    const printed = succeeded(installedRun, 'installed gloss tutorial');
    const checkout = runCli(['tutorial'], fromCheckout);
    assert.equal(checkout.status, 0, checkout.stderr);

    const files = filesUnder(join(fromPackage, 'out'));
    assert.ok(files.includes('tutorial.html'), files.join(', '));
    assert.ok(files.filter((f) => f.endsWith('.svg')).length >= 6, files.join(', '));
    assert.deepEqual(files, filesUnder(join(fromCheckout, 'out')));
    for (const file of files.filter((f) => !f.endsWith('.png'))) {
      assert.equal(
        readFileSync(join(fromPackage, 'out', file), 'utf8'),
        readFileSync(join(fromCheckout, 'out', file), 'utf8'),
        `out/${file} differs between the installed package and the checkout`,
      );
    }
    assert.equal(printed, checkout.stdout);
  });

  test('the core entry imports only its own files: no package, no Node built-in', () => {
    const graph = importGraph(join(installed(), 'dist', 'index.js'));
    assert.ok(graph.files.length > 20, `${graph.files.length} files reached`);
    assert.deepEqual(graph.external, []);
  });

  test('importing gloss-ml resolves no module outside its dist/ (checked by a resolve hook)', () => {
    // The hook runs in Node's loader thread and rejects any resolution made from a file of the
    // installed package that lands outside its dist/: another package or a Node built-in.
    writeFileSync(
      join(app, 'hooks.mjs'),
      `const DIST = new URL('./node_modules/gloss-ml/dist/', import.meta.url).href;
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (context.parentURL?.startsWith(DIST) && !result.url.startsWith(DIST)) {
    throw new Error(\`gloss-ml core loaded \${result.url} (\${specifier}) from \${context.parentURL}\`);
  }
  return result;
}
`,
    );
    writeFileSync(
      join(app, 'register.mjs'),
      "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
    );
    writeFileSync(
      join(app, 'probe.mjs'),
      `import { gluon, nd } from 'gloss-ml';
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
console.log(loss.forward(nd.array([[1, 10], [8, 2]]), nd.array([0, 1])).toString());
`,
    );
    const probe = run(process.execPath, ['--import', './register.mjs', 'probe.mjs'], app);
    assert.equal(succeeded(probe, 'node probe.mjs').trim(), '[9.000123  6.0024757]\n<NDArray 2 @cpu(0)>');
  });

  test('the shipped types check a strict consumer of every entry (skipLibCheck off)', () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { type NDArray, gluon, nd } from 'gloss-ml';
import { lineChart } from 'gloss-ml/plot';
import { checkGradient } from 'gloss-ml/testing';
import { saveParameters } from 'gloss-ml/node';
import { cell, display } from 'gloss-ml/notebook';
const l: NDArray = new gluon.loss.L2Loss().forward(nd.ones([2]), nd.zeros([2]));
const items: number[] = [...l].map((item) => item.item());
const svg: string = lineChart([{ x: [0, 1], y: [1, 0] }]);
cell(1, () => display([items, svg.length, typeof checkGradient, typeof saveParameters]));
`,
    );
    // A browser user's setup: DOM types, no @types/node (the core declares no Node types).
    const compilerOptions = {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
    };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    succeeded(run(process.execPath, [tsc, '-p', 'tsconfig.json'], app), 'tsc on a consumer of gloss-ml');
  });

  test('gloss-ml/plot loads its d3 dependencies and draws an SVG', () => {
    writeFileSync(
      join(app, 'plot-probe.mjs'),
      `import { lineChart } from 'gloss-ml/plot';
console.log(lineChart([{ label: 'loss', x: [0, 1, 2], y: [1, 0, 1] }], { title: 'probe' }).slice(0, 4));
`,
    );
    assert.equal(succeeded(run(process.execPath, ['plot-probe.mjs'], app), 'plot probe').trim(), '<svg');
  });
});
