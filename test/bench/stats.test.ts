import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withTable } from '../../bench/report.js';
import { differenceOf, measureCells, median, ratioOf, spreadOf, summarize } from '../../bench/stats.js';

/** A measurer that hands out scripted run times per cell and records the order of the calls. */
function scripted(times: Record<string, number[]>) {
  const calls: string[] = [];
  const measure = (cell: string) => {
    calls.push(cell);
    const next = times[cell]!.shift();
    if (next === undefined) throw new Error(`${cell} was measured more often than scripted`);
    return next;
  };
  return { calls, measure, left: (cell: string) => times[cell]!.length };
}

const options = { runs: 3, maxSpread: 0.2, maxReruns: 2 };

describe('bench statistics', () => {
  test('median of odd and even counts, unsorted input left as it was', () => {
    const values = [5, 1, 3];
    assert.equal(median(values), 3);
    assert.deepEqual(values, [5, 1, 3]);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]), RangeError);
  });

  test('spread is slowest / fastest − 1', () => {
    assert.equal(spreadOf([10, 12, 11]), 12 / 10 - 1);
    assert.equal(spreadOf([7, 7, 7]), 0);
    assert.equal(spreadOf([0, 1]), Number.POSITIVE_INFINITY);
  });

  test('summarize keeps the runs in measured order', () => {
    assert.deepEqual(summarize([3, 1, 2]), { min: 1, median: 2, max: 3, spread: 2, runs: [3, 1, 2] });
  });

  test('a stable cell is measured once: 3 runs, no rerun', async () => {
    const { measure, calls } = scripted({ a: [10, 11, 10.5] });
    const result = (await measureCells(['a'], measure, options)).get('a')!;
    assert.equal(calls.length, 3);
    assert.deepEqual(result.runs, [10, 11, 10.5]);
    assert.equal(result.median, 10.5);
    assert.equal(result.min, 10);
    assert.equal(result.attempts, 1);
    assert.equal(result.stable, true);
    assert.deepEqual(result.setAside, []);
  });

  test('a cell above 20% is rerun alone; the steadier set is reported, the other kept aside', async () => {
    const { measure, calls } = scripted({
      steady: [10, 10.5, 11],
      noisy: [10, 15, 10.2, 20, 20.5, 21],
    });
    const results = await measureCells(['steady', 'noisy'], measure, options);
    // Three rounds over both cells (the order rotates each round), then three runs of the noisy one only.
    assert.deepEqual(calls, [
      'steady',
      'noisy',
      'noisy',
      'steady',
      'steady',
      'noisy',
      'noisy',
      'noisy',
      'noisy',
    ]);
    const noisy = results.get('noisy')!;
    assert.deepEqual(noisy.runs, [20, 20.5, 21]);
    assert.equal(noisy.median, 20.5);
    assert.equal(noisy.attempts, 2);
    assert.equal(noisy.stable, true);
    assert.deepEqual(noisy.setAside, [[10, 15, 10.2]]);
    assert.equal(results.get('steady')!.attempts, 1);
  });

  test('reruns are bounded; a cell that never settles is reported with its smallest spread and marked unstable', async () => {
    const { measure, left } = scripted({ wild: [10, 30, 10, 10, 14, 10, 10, 40, 10, 99] });
    const wild = (await measureCells(['wild'], measure, options)).get('wild')!;
    assert.equal(left('wild'), 1, 'one initial set and two reruns of 3 runs each');
    assert.equal(wild.attempts, 3);
    assert.deepEqual(wild.runs, [10, 14, 10]);
    assert.ok(Math.abs(wild.spread - 0.4) < 1e-12);
    assert.equal(wild.stable, false);
    assert.deepEqual(wild.setAside, [
      [10, 30, 10],
      [10, 40, 10],
    ]);
  });

  test('a fresh set with a larger spread does not replace the kept one', async () => {
    const { measure } = scripted({ c: [10, 13, 10, 10, 50, 10, 10, 11, 10] });
    const c = (await measureCells(['c'], measure, options)).get('c')!;
    assert.deepEqual(c.runs, [10, 11, 10]);
    // [10, 50, 10] was set aside at once; [10, 13, 10] when the steadier third set replaced it.
    assert.deepEqual(c.setAside, [
      [10, 50, 10],
      [10, 13, 10],
    ]);
  });

  test('async measurers are awaited; fewer than 3 runs per set is refused', async () => {
    const results = await measureCells(['x'], async () => 2, options);
    assert.equal(results.get('x')!.median, 2);
    await assert.rejects(
      measureCells(['x'], () => 1, { ...options, runs: 2 }),
      RangeError,
    );
  });

  test('ratio of medians, with the range from the extreme runs', () => {
    const gloss = summarize([10, 12, 11]);
    const other = summarize([20, 25, 22]);
    const r = ratioOf(gloss, other);
    assert.equal(r.median, 11 / 22);
    assert.equal(r.low, 10 / 25);
    assert.equal(r.high, 12 / 20);
  });

  test('difference of medians, with the range from the extreme runs', () => {
    const throughAdapter = summarize([0.12, 0.1, 0.11]);
    const alone = summarize([0.07, 0.08, 0.075]);
    const d = differenceOf(throughAdapter, alone);
    assert.ok(Math.abs(d.median - (0.11 - 0.075)) < 1e-15);
    assert.ok(Math.abs(d.low - (0.1 - 0.08)) < 1e-15);
    assert.ok(Math.abs(d.high - (0.12 - 0.07)) < 1e-15);
  });

  test('the README table is replaced between its markers only, and not without them', () => {
    const start = '<!-- bench-table:start (generated by npm run bench; do not edit by hand) -->';
    const end = '<!-- bench-table:end -->';
    const readme = `intro\n${start}\nold table\n${end}\noutro\n`;
    assert.equal(withTable(readme, 'new table\n'), `intro\n${start}\nnew table\n${end}\noutro\n`);
    assert.equal(withTable('no markers here', 'new table\n'), null);
  });
});

describe('bench table', () => {
  test('cells show median / minimum (spread), unstable cells are marked, missing libraries are n/a', async () => {
    const { markdown } = await import('../../bench/report.js');
    const cell = (runs: number[], stable = true) => ({
      ...summarize(runs),
      attempts: 1,
      stable,
      setAside: [],
    });
    const gloss = cell([2, 2.1, 2.4]);
    const pytorch = cell([4, 6, 5], false);
    const text = markdown({
      date: '2026-01-01T00:00:00.000Z',
      machine: 'test machine',
      load: { start: 1, end: 2 },
      options: { runs: 3, maxSpread: 0.2, maxReruns: 3, budgetMs: 400 },
      backends: ['wasm'],
      pytorch: 'torch 1.13',
      rows: [
        {
          id: 'W1',
          title: 'L2Loss [4,4]',
          kind: 'loss',
          cells: { gloss, floor: null, plain: null, 'tfjs-wasm': null, pytorch },
          ratios: {
            glossOverPyTorch: ratioOf(gloss, pytorch),
            bestTfjsOverGloss: null,
            bestTfjs: null,
            glossOverFloor: null,
            plainOverGloss: null,
          },
          elementsPerSecond: 1e6,
          gigabytesPerSecond: 1,
          flops: null,
          peakExtraBytes: 0,
          peakExtraOverLogits: null,
          notes: ['a note'],
        },
      ],
      notes: [],
    });
    const row = text.split('\n').find((line) => line.startsWith('| W1 '))!;
    assert.match(
      row,
      /\| 2\.10 \/ 2\.00 \(20%\) \| n\/a \| 5\.00 \/ 4\.00 \(50%!\) \| 0\.42x \(0\.33-0\.60\) \|/,
    );
    assert.match(text, /- W1: a note/);
    assert.match(text, /Load average \(1 min\) 1\.00 at the start, 2\.00 at the end/);
  });
});

describe('bench TF.js training-step table', () => {
  const cell = (runs: number[], stable = true) => ({ ...summarize(runs), attempts: 1, stable, setAside: [] });

  test('both arms, the loss alone three ways, the overhead with its range and share; a missing loss says why', async () => {
    const { markdown } = await import('../../bench/report.js');
    const tfjs = cell([20, 22, 21]);
    const adapter = cell([10, 12, 11]);
    const lossAdapter = cell([0.1, 0.12, 0.11]);
    const lossGloss = cell([0.06, 0.07, 0.065]);
    const overhead = differenceOf(lossAdapter, lossGloss);
    const text = markdown({
      date: '2026-01-01T00:00:00.000Z',
      machine: 'test machine',
      load: { start: 1, end: 2 },
      options: { runs: 3, maxSpread: 0.2, maxReruns: 3, budgetMs: 400 },
      backends: ['wasm'],
      pytorch: null,
      rows: [],
      tfjsSteps: [
        {
          id: 'T1',
          title: 'dense step',
          tfjsMissing: null,
          lossGloss,
          adapterBytes: 2048,
          backends: [
            {
              backend: 'wasm',
              tfjs,
              adapter,
              lossTfjs: cell([0.2, 0.2, 0.2]),
              lossAdapter,
              adapterOverTfjs: ratioOf(adapter, tfjs),
              overhead,
              overheadShareOfStep: overhead.median / adapter.median,
            },
          ],
          notes: ['one-hot labels for TF.js'],
        },
        {
          id: 'T2',
          title: 'ctc step',
          tfjsMissing: 'TF.js has no CTC loss',
          lossGloss,
          adapterBytes: 1024,
          backends: [
            {
              backend: 'wasm',
              tfjs: null,
              adapter,
              lossTfjs: null,
              lossAdapter: lossGloss,
              adapterOverTfjs: null,
              overhead: differenceOf(lossGloss, lossAdapter),
              overheadShareOfStep: -0.004,
            },
          ],
          notes: [],
        },
      ],
      notes: [],
    });
    const t1 = text.split('\n').find((line) => line.startsWith('| T1 '))!;
    assert.equal(
      t1,
      '| T1 dense step | tfjs-wasm | 21.00 / 20.00 (10%) | 11.00 / 10.00 (20%) | 0.52x (0.45-0.60) | ' +
        '0.200 / 0.200 (0%) | 0.110 / 0.100 (20%) | 0.0650 / 0.0600 (17%) | ' +
        '+0.0450 (+0.0300 to +0.0600; 0.4% of the step) | 2.0 |',
    );
    const t2 = text.split('\n').find((line) => line.startsWith('| T2 '))!;
    assert.equal(
      t2.split('n/a: TF.js has no CTC loss').length - 1,
      3,
      'TF.js step, ratio and loss-alone cells',
    );
    assert.match(t2, /\| -0\.0450 \(-0\.0600 to -0\.0300; -0\.4% of the step\) \| 1\.0 \|$/);
    assert.match(text, /- T1: one-hot labels for TF\.js/);
  });

  test('runs recorded before the TF.js rows existed render without that table', async () => {
    const { markdown } = await import('../../bench/report.js');
    const text = markdown({
      date: '2026-01-01T00:00:00.000Z',
      machine: 'm',
      load: { start: 1, end: 1 },
      options: { runs: 3, maxSpread: 0.2, maxReruns: 3, budgetMs: 400 },
      backends: [],
      pytorch: null,
      rows: [],
      notes: [],
    });
    assert.doesNotMatch(text, /TF\.js training steps/);
  });
});
