/**
 * A small argument parser for commands whose option names are not known in advance (a loss's
 * own options in `gloss plot`): `--name value`, `--name=value` and bare `--flag`.
 * @module
 */
import { ValueError } from '../ndarray/errors.js';

/** Parsed command-line arguments. */
export interface LooseArgs {
  /** Arguments that are not options, in order. */
  readonly positionals: string[];
  /** Options by camelCase name: the text after the name, or true for a bare flag. */
  readonly options: Map<string, string | true>;
}

/** `from-sigmoid` → `fromSigmoid`; names already in camelCase are kept. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `fromSigmoid` → `from-sigmoid`, the spelling help texts show. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Splits `argv` into positionals and options. A value may start with a single `-` (so
 * `--from -5` works); a token starting with `--` begins the next option. `-h` means `--help`
 * wherever it stands.
 * Repeating an option is a ValueError (which one was meant would be a guess). Messages leave out
 * the command name: the CLI's `main` prefixes it.
 */
export function parseLooseArgs(argv: readonly string[]): LooseArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '-h') {
      options.set('help', true);
      continue;
    }
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
      continue;
    }
    const body = token.slice(2);
    const equals = body.indexOf('=');
    let name: string;
    let value: string | true;
    if (equals >= 0) {
      name = body.slice(0, equals);
      value = body.slice(equals + 1);
    } else {
      name = body;
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--') && next !== '-h') {
        value = next;
        i++;
      } else {
        value = true;
      }
    }
    const key = camelCase(name);
    if (options.has(key)) throw new ValueError(`option --${name} is given twice`);
    options.set(key, value);
  }
  return { positionals, options };
}

/** Reads option `name` as a finite number (ValueError naming the option otherwise). */
export function numberOption(name: string, value: string | true): number {
  const parsed = value === true ? Number.NaN : Number(value);
  if (value === true || value.trim() === '' || !Number.isFinite(parsed)) {
    throw new ValueError(
      `option --${kebabCase(name)} needs a number, got ${value === true ? 'nothing' : JSON.stringify(value)}`,
    );
  }
  return parsed;
}

/** Reads option `name` as a positive integer. */
export function countOption(name: string, value: string | true): number {
  const parsed = numberOption(name, value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new ValueError(`option --${kebabCase(name)} needs a positive integer, got ${String(value)}`);
  }
  return parsed;
}

/** Reads option `name` as a boolean: a bare flag, `true`/`false`, `yes`/`no`, `1`/`0`. */
export function booleanOption(name: string, value: string | true): boolean {
  if (value === true) return true;
  const text = value.toLowerCase();
  if (['true', 'yes', '1'].includes(text)) return true;
  if (['false', 'no', '0'].includes(text)) return false;
  throw new ValueError(`option --${kebabCase(name)} needs true or false, got ${JSON.stringify(value)}`);
}
