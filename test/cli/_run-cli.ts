/** Runs the gloss CLI end to end, as a separate process in a fresh temporary folder. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve('src/cli/main.ts');
const TSX_LOADER = import.meta.resolve('tsx');

/** A new empty folder under the system's temporary directory. */
export function temporaryFolder(): string {
  return mkdtempSync(join(tmpdir(), 'gloss-cli-'));
}

/** Runs `gloss ...args` with `cwd` as working folder; returns exit status and output. */
export function runCli(
  args: readonly string[],
  cwd: string,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', TSX_LOADER, MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `main` in this process, collecting the lines it prints. */
export async function runInProcess(args: readonly string[]): Promise<{ code: number; output: string }> {
  const { main } = await import('../../src/cli/main.js');
  const lines: string[] = [];
  const code = await main([...args], (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}
