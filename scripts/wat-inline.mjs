// Build-time inlining for the hand-written WAT kernels (used by scripts/build-wasm.mjs).
//
// The lane functions of src/kernels/math.wat ($exp4, $log4, ...) are small and called once per
// vector from every kernel's inner loop. V8 (Node 20) does not inline wasm calls, and a call costs
// a frame, argument moves and constant reloads: a large share of a 40-instruction function. So a
// function preceded by the comment line `;; @inline` is expanded at each `(call $name args...)`:
//
//   (call $f a b)  →  (block (result T) a b (local.set $f.q) (local.set $f.p) <body of $f>)
//
// with every local of $f renamed `$f.<name>` and declared in the caller. The arguments are all
// evaluated before any is stored, so nested calls of the same function are safe; the renamed
// locals are shared by the call sites of one caller, so an inline function must not rely on its
// locals starting at zero (set every local before reading it). Inline functions may call other
// inline functions (expanded first) but must not use `return` or branch labels. The expanded
// functions are removed from the module.

/** Tokens: '(' , ')' , atoms (strings kept whole); comments dropped. */
function tokenize(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ';' && text[i + 1] === ';') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '(' && text[i + 1] === ';') {
      let depth = 1;
      i += 2;
      while (i < text.length && depth > 0) {
        if (text[i] === '(' && text[i + 1] === ';') {
          depth++;
          i += 2;
        } else if (text[i] === ';' && text[i + 1] === ')') {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (ch === '(' || ch === ')') {
      tokens.push(ch);
      i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      tokens.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s()]/.test(text[j]) && !(text[j] === ';' && text[j + 1] === ';')) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

/** Nested arrays of atoms. */
function parse(tokens) {
  const stack = [[]];
  for (const token of tokens) {
    if (token === '(') stack.push([]);
    else if (token === ')') {
      const done = stack.pop();
      if (stack.length === 0) throw new Error('wat-inline: unbalanced )');
      stack[stack.length - 1].push(done);
    } else stack[stack.length - 1].push(token);
  }
  if (stack.length !== 1) throw new Error('wat-inline: unbalanced (');
  return stack[0];
}

function print(node, indent = '') {
  if (!Array.isArray(node)) return node;
  const head = node[0];
  if (head === 'func' || head === 'module') {
    return `${indent}(${node.map((child) => (Array.isArray(child) ? `\n${print(child, `${indent}  `)}` : child)).join(' ')})`;
  }
  return `${indent}(${node.map((child) => print(child)).join(' ')})`;
}

const isList = (node, head) => Array.isArray(node) && node[0] === head;

/** Splits a func node into name, params, result, locals and body. */
function describe(func) {
  const name = func[1];
  const params = [];
  const locals = [];
  let result = null;
  let bodyStart = 2;
  for (let i = 2; i < func.length; i++) {
    const child = func[i];
    if (isList(child, 'export')) {
      bodyStart = i + 1;
    } else if (isList(child, 'param')) {
      if (child.length !== 3 || !child[1].startsWith('$'))
        throw new Error(`wat-inline: ${name}: write one named (param $p type) per parameter`);
      params.push({ name: child[1], type: child[2] });
      bodyStart = i + 1;
    } else if (isList(child, 'result')) {
      result = child[1];
      bodyStart = i + 1;
    } else if (isList(child, 'local')) {
      if (child.length !== 3 || !child[1].startsWith('$'))
        throw new Error(`wat-inline: ${name}: write one named (local $l type) per local`);
      locals.push({ name: child[1], type: child[2] });
      bodyStart = i + 1;
    } else break;
  }
  return { name, params, result, locals, body: func.slice(bodyStart), headerEnd: bodyStart };
}

function renameLocals(node, rename) {
  if (!Array.isArray(node)) return node;
  if (
    (node[0] === 'local.get' || node[0] === 'local.set' || node[0] === 'local.tee') &&
    rename.has(node[1])
  ) {
    return [node[0], rename.get(node[1]), ...node.slice(2).map((child) => renameLocals(child, rename))];
  }
  return node.map((child) => renameLocals(child, rename));
}

/** Expands inline calls in `node`; records the locals the expansions need in `needed`. */
function expand(node, inlined, needed) {
  if (!Array.isArray(node)) return node;
  const children = node.map((child) => expand(child, inlined, needed));
  if (children[0] === 'call' && inlined.has(children[1])) {
    const target = inlined.get(children[1]);
    const args = children.slice(2);
    if (args.length !== target.params.length) {
      throw new Error(
        `wat-inline: call ${children[1]} needs ${target.params.length} folded arguments, got ${args.length}`,
      );
    }
    for (const local of target.allLocals) needed.set(local.name, local.type);
    return [
      'block',
      ['result', target.result],
      ...args,
      ...[...target.params].reverse().map((param) => ['local.set', `${target.name}.${param.name.slice(1)}`]),
      ...target.body,
    ];
  }
  return children;
}

/** Returns the module text with every call to an `;; @inline` function expanded. */
export function inlineWat(text) {
  const marked = new Set([...text.matchAll(/;;\s*@inline\s*\n\s*\(func\s+(\$[^\s()]+)/g)].map((m) => m[1]));
  const module = parse(tokenize(text));
  if (module.length !== 1 || !isList(module[0], 'module'))
    throw new Error('wat-inline: expected one (module ...)');
  const fields = module[0];
  const inlined = new Map();
  // Inline functions in source order: each may use the ones defined before it.
  for (const field of fields) {
    if (!isList(field, 'func') || !marked.has(field[1])) continue;
    const info = describe(field);
    if (!info.result) throw new Error(`wat-inline: ${info.name} must have a result`);
    // Fragments share one namespace: a second definition would silently replace the first.
    if (inlined.has(info.name)) throw new Error(`wat-inline: ${info.name} is defined twice`);
    const rename = new Map(
      [...info.params, ...info.locals].map((l) => [l.name, `${info.name}.${l.name.slice(1)}`]),
    );
    const needed = new Map();
    const body = info.body.map((child) => expand(renameLocals(child, rename), inlined, needed));
    const own = [...info.params, ...info.locals].map((l) => ({ name: rename.get(l.name), type: l.type }));
    const allLocals = [...own, ...[...needed].map(([name, type]) => ({ name, type }))];
    inlined.set(info.name, { ...info, body, allLocals });
  }
  const output = ['module'];
  for (const field of fields.slice(1)) {
    if (isList(field, 'func') && inlined.has(field[1])) continue;
    if (!isList(field, 'func')) {
      output.push(field);
      continue;
    }
    const info = describe(field);
    const needed = new Map();
    const body = info.body.map((child) => expand(child, inlined, needed));
    const declared = [...needed].map(([name, type]) => ['local', name, type]);
    output.push([...field.slice(0, info.headerEnd), ...declared, ...body]);
  }
  return `${print(output)}\n`;
}
