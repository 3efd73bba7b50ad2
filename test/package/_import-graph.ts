/**
 * The static import graph of compiled ES modules: from an entry file, follows every relative
 * `import`/`export … from`/`import('…')` and collects every other specifier (bare package names,
 * `node:` built-ins) and every `import(expression)` whose target cannot be known statically.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface ImportGraph {
  /** Every file reached, the entry first. */
  readonly files: string[];
  /** `file: specifier` for each import that does not name a relative file. */
  readonly external: string[];
}

/** Code without comments: the compiled files keep TSDoc, whose usage examples contain imports. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

const STATIC_IMPORT = /(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]*?\sfrom\s*)?['"]([^'"]+)['"]/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*([^)]*)\)/g;

function specifiersOf(file: string): string[] {
  const code = withoutComments(readFileSync(file, 'utf8'));
  const found = [...code.matchAll(STATIC_IMPORT)].map((m) => m[1]!);
  for (const [, argument] of code.matchAll(DYNAMIC_IMPORT)) {
    const literal = /^['"]([^'"]+)['"]$/.exec(argument!.trim());
    found.push(literal ? literal[1]! : `import(${argument!.trim()})`);
  }
  return found;
}

export function importGraph(entry: string): ImportGraph {
  const files: string[] = [];
  const external: string[] = [];
  const pending = [resolve(entry)];
  const seen = new Set(pending);
  while (pending.length > 0) {
    const file = pending.shift()!;
    files.push(file);
    for (const specifier of specifiersOf(file)) {
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) {
        external.push(`${file}: ${specifier}`);
        continue;
      }
      const target = resolve(dirname(file), specifier);
      if (!existsSync(target)) {
        external.push(`${file}: ${specifier} (missing)`);
      } else if (!seen.has(target)) {
        seen.add(target);
        pending.push(target);
      }
    }
  }
  return { files, external };
}
