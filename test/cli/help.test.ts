import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runInProcess } from './_run-cli.js';

test('gloss --help lists the plot, train and tutorial commands', async () => {
  const { code, output } = await runInProcess(['--help']);
  assert.equal(code, 0);
  for (const command of ['plot', 'train', 'tutorial'])
    assert.match(output, new RegExp(`^  ${command} +\\S`, 'm'));
});

test('--help and -h work on every command and print its usage', async () => {
  for (const command of ['plot', 'train', 'tutorial', 'conformance', 'demo']) {
    for (const flag of ['--help', '-h']) {
      const { code, output } = await runInProcess([command, flag]);
      assert.equal(code, 0, `${command} ${flag}`);
      assert.match(output, new RegExp(`^Usage: gloss ${command}`), `${command} ${flag}`);
    }
  }
});

test('gloss --version and -v print the version from package.json', async () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
  for (const flag of ['--version', '-v']) {
    const { code, output } = await runInProcess([flag]);
    assert.equal(code, 0, flag);
    assert.equal(output, version, flag);
  }
});
