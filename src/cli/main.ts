#!/usr/bin/env node
/**
 * The `gloss` command line: `gloss <command> [options]`. Each command has `--help`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { conformanceCommand } from './conformance.js';
import { demoCommand } from './demo.js';
import { plotCommand } from './plot.js';
import { trainCommand } from './train.js';
import { tutorialCommand } from './tutorial.js';

const COMMANDS: Record<
  string,
  { summary: string; run: (argv: string[], out: (line: string) => void) => number | Promise<number> }
> = {
  conformance: { summary: 'check losses against conformance case files', run: conformanceCommand },
  demo: { summary: 'a short tour of arrays, losses and gradients', run: demoCommand },
  plot: { summary: 'draw a loss and its gradient against the prediction (SVG, PNG)', run: plotCommand },
  train: {
    summary: 'train an MLP on synthetic data with a chosen loss; write its training curve',
    run: trainCommand,
  },
  tutorial: {
    summary: 'run the seed tutorial in TypeScript; write its charts and an HTML page',
    run: tutorialCommand,
  },
};

/** The package's version, read from package.json two folders up (from src/cli/ and dist/cli/ alike). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(manifest.version);
}

export const MAIN_HELP = `Usage: gloss <command> [options]
       gloss --version

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`)
  .join('\n')}

Options:
  -v, --version   print the version of gloss-ml
  -h, --help      show this help

Run 'gloss <command> --help' for a command's options.`;

export async function main(
  argv: string[],
  out: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    out(packageVersion());
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(MAIN_HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    out(`gloss: unknown command '${name}'\n\n${MAIN_HELP}`);
    return 2;
  }
  try {
    return await command.run(rest, out);
  } catch (error) {
    out(`gloss ${name}: ${(error as Error).message}`);
    return 2;
  }
}

const invokedDirectly = import.meta.url === `file://${process.argv[1]}`;
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
