/**
 * The second panel: the basic cells of the MXNet "Loss functions" tutorial, run in the page, each
 * shown with its TypeScript and the `NDArray.toString()` output the notebook prints (the same
 * text `gloss tutorial` prints in Node).
 * @module
 */
import { autograd, gluon, type NDArray, nd } from 'gloss-ml';

const { nn, loss: gloss } = gluon;

/** One notebook cell: its number, its code as shown, and what it prints. */
interface TutorialCell {
  readonly number: string;
  readonly title: string;
  readonly code: string;
  run(): NDArray[];
}

const CELLS: readonly TutorialCell[] = [
  {
    number: '3',
    title: 'L2Loss on ones and twos',
    code: `const loss = new gloss.L2Loss();
const x = nd.ones([2]);
const y = nd.ones([2]).mul(2);
loss.forward(x, y);`,
    run: () => [new gloss.L2Loss().forward(nd.ones([2]), nd.ones([2]).mul(2))],
  },
  {
    number: '5–6',
    title: 'a Dense layer, autograd and the weight gradient',
    code: `nd.random.seed(0);  // MXNet draws unseeded; a seed makes the page reproducible
const X = nd.random.uniform(0, 1, [2, 4]);
const net = new nn.Dense(1);
net.initialize();
const loss = new gloss.L2Loss();
const y = nd.ones([2]).mul(2);
const l = autograd.record(() => loss.forward(net.forward(X), y));
print(l);
l.backward();
print(net.weight.grad());`,
    run: () => {
      nd.random.seed(0);
      const X = nd.random.uniform(0, 1, [2, 4]);
      const net = new nn.Dense(1);
      net.initialize();
      const loss = new gloss.L2Loss();
      const y = nd.ones([2]).mul(2);
      const l = autograd.record(() => loss.forward(net.forward(X), y));
      const printed = [l];
      l.backward();
      printed.push(net.weight.grad());
      return printed;
    },
  },
  {
    number: '13',
    title: 'SoftmaxCrossEntropyLoss',
    code: `const loss = new gloss.SoftmaxCrossEntropyLoss();
const x = nd.array([[1, 10], [8, 2]]);
const y = nd.array([0, 1]);
loss.forward(x, y);`,
    run: () => [
      new gloss.SoftmaxCrossEntropyLoss().forward(
        nd.array([
          [1, 10],
          [8, 2],
        ]),
        nd.array([0, 1]),
      ),
    ],
  },
  {
    number: '19',
    title: 'a weighted loss (sampleWeight)',
    code: `const x = nd.ones([2]);
const y = nd.ones([2]).mul(2);
const loss = new gloss.L2Loss();
loss.forward(x, y, nd.array([1, 2]));`,
    run: () => [new gloss.L2Loss().forward(nd.ones([2]), nd.ones([2]).mul(2), nd.array([1, 2]))],
  },
];

/** Runs every cell into `container`: a heading, the code, and each printed array in a `<pre>`. */
export function renderTutorialCells(container: HTMLElement): void {
  for (const cell of CELLS) {
    const article = document.createElement('article');
    article.className = 'cell';
    article.dataset.cell = cell.number;
    const heading = document.createElement('h3');
    heading.textContent = `In [${cell.number}]: ${cell.title}`;
    const code = document.createElement('pre');
    code.className = 'code';
    code.textContent = cell.code;
    article.append(heading, code);
    try {
      for (const value of cell.run()) {
        const output = document.createElement('pre');
        output.className = 'output';
        // toString() starts with a newline, as MXNet's repr does; the <pre> needs none.
        output.textContent = value.toString().replace(/^\n/, '');
        article.append(output);
      }
    } catch (error) {
      const output = document.createElement('pre');
      output.className = 'output error';
      output.textContent = String(error);
      article.append(output);
      // Let the page (and the browser test) see the failure as well.
      console.error(error);
    }
    container.append(article);
  }
}
