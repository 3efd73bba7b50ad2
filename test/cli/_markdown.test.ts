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

test('links to the MXNet site become absolute; images show their alt text', () => {
  assert.equal(renderInline('[L1](/api/x.html#a)'), '<a href="https://mxnet.apache.org/api/x.html#a">L1</a>');
  assert.equal(
    renderInline('[d](https://distill.pub/2017/ctc/)'),
    '<a href="https://distill.pub/2017/ctc/">d</a>',
  );
  assert.equal(
    renderInline('![triplet_loss](triplet_loss.png)'),
    '<span class="image-missing">[image: triplet_loss]</span>',
  );
});

test('math stays TeX: inline in sentences, set apart on its own lines, never parsed as markdown', () => {
  assert.equal(renderInline('the $\\ell_2$ loss'), 'the <span class="math">\\ell_2</span> loss');
  assert.equal(
    renderInline('a threshold $$\\rho$$, otherwise'),
    'a threshold <span class="math">\\rho</span>, otherwise',
  );
  assert.equal(
    renderInline('defined as:\n$$ a_i * b_i < c $$\nthen'),
    'defined as:\n<span class="math display">a_i * b_i &lt; c</span>\nthen',
  );
});

test('text is escaped, bold is kept', () => {
  assert.equal(renderInline('x < y & **bold**'), 'x &lt; y &amp; <strong>bold</strong>');
  assert.equal(escapeHtml(`<a href="x">'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&lt;/a&gt;');
});
