import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, renderInline, renderMarkdown } from '../../src/cli/_markdown.js';

test('headings, paragraphs and lists become their HTML elements', () => {
  assert.equal(
    renderMarkdown('# Title\n\nFirst line\nsecond line.\n\n- one\n- two\n  continued\n\n#### Small'),
    '<h1>Title</h1>\n<p>First line\nsecond line.</p>\n<ul><li>one</li><li>two continued</li></ul>\n<h4>Small</h4>',
  );
});

test('a list right after a paragraph line starts its own block', () => {
  assert.equal(
    renderMarkdown('Two reasons:\n - a\n - b'),
    '<p>Two reasons:</p>\n<ul><li>a</li><li>b</li></ul>',
  );
});

test('fenced code is escaped and keeps its language', () => {
  assert.equal(
    renderMarkdown('```python\nif a < b: print("x")\n```'),
    '<pre><code class="language-python">if a &lt; b: print(&quot;x&quot;)</code></pre>',
  );
});

test('inline code (single or triple backticks) is shown as written', () => {
  assert.equal(
    renderInline('set ```from_sigmoid``` and `a*b*c`'),
    'set <code>from_sigmoid</code> and <code>a*b*c</code>',
  );
});

test('links to the MXNet site become absolute; images show their alt text unless gloss drew them', () => {
  assert.equal(renderInline('[L1](/api/x.html#a)'), '<a href="https://mxnet.apache.org/api/x.html#a">L1</a>');
  assert.equal(
    renderInline('[d](https://distill.pub/2017/ctc/)'),
    '<a href="https://distill.pub/2017/ctc/">d</a>',
  );
  assert.equal(
    renderInline('![triplet_loss](triplet_loss.png)'),
    '<span class="image-missing">[image: triplet_loss]</span>',
  );
  const figures = { triplet_loss: '<figure>drawn</figure>' };
  assert.equal(
    renderMarkdown('see:\n\n![triplet_loss](triplet_loss.png)\n\nafter', figures),
    '<p>see:</p>\n<figure>drawn</figure>\n<p>after</p>',
  );
});

test('math is rendered by KaTeX: inline in sentences, set apart on its own lines, never parsed as markdown', () => {
  const inline = renderInline('the $\\ell_2$ loss');
  assert.match(inline, /^the <span class="katex">.*<\/span> loss$/);
  assert.ok(!inline.includes('katex-display'));
  assert.match(
    renderInline('a threshold $$\\rho$$, otherwise'),
    /^a threshold <span class="katex">.*ρ.*, otherwise$/,
  );
  const display = renderInline('defined as:\n$$ a_i * b_i < c $$\nthen');
  assert.match(display, /^defined as:\n<span class="katex-display">.*<\/span>\nthen$/);
  // Markdown never reaches into the formula (a_i * b_i is not emphasis).
  assert.ok(!display.includes('<em>'));
});

test('a formula KaTeX cannot read is shown as its source, marked as an error', () => {
  assert.match(
    renderInline('$\\frac{1}{$'),
    /^<code class="math-error" title="[^"]+">\\frac\{1\}\{<\/code>$/,
  );
});

test("the tutorial's macros and environments all render", () => {
  for (const tex of [
    'p = \\softmax({pred})',
    '\\begin{split}a &= b \\\\ c &= d\\end{split}',
    '\\mu ^ {\\kern 0.08 em x}',
  ]) {
    assert.ok(!renderInline(`$$${tex}$$`).includes('math-error'), tex);
  }
});

test('text is escaped, bold is kept', () => {
  assert.equal(renderInline('x < y & **bold**'), 'x &lt; y &amp; <strong>bold</strong>');
  assert.equal(escapeHtml(`<a href="x">'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&lt;/a&gt;');
});
