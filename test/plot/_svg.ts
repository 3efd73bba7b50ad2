/**
 * A strict little XML reader for the SVG gloss writes (elements, attributes, text; no DTDs,
 * comments or CDATA). It throws on unbalanced tags, so parsing is also a well-formedness check.
 */

/** An element of the parsed tree. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** The element's own text, entities decoded. */
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name]!);
}

/** Parses `xml` (a single root element, optionally followed by whitespace). */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let position = 0;
  while (position < xml.length) {
    token.lastIndex = position;
    match = token.exec(xml);
    if (!match)
      throw new Error(`parseXml: unexpected text at ${position}: ${xml.slice(position, position + 40)}`);
    position = token.lastIndex;
    const [, closing, name, attributeText, selfClosing, text] = match;
    const parent = stack[stack.length - 1]!;
    if (text !== undefined) {
      if (/[<>]/.test(text)) throw new Error('parseXml: raw < or > in text');
      parent.text += decode(text);
      continue;
    }
    if (closing) {
      if (parent.name !== name) throw new Error(`parseXml: </${name}> closes <${parent.name}>`);
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of attributeText!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (key! in attributes) throw new Error(`parseXml: attribute ${key} repeated on <${name}>`);
      attributes[key!] = decode(value!);
    }
    const element: XmlElement = { name: name!, attributes, children: [], text: '' };
    parent.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (stack.length !== 1) throw new Error(`parseXml: <${stack[stack.length - 1]!.name}> is never closed`);
  if (root.children.length !== 1) throw new Error('parseXml: expected exactly one root element');
  return root.children[0]!;
}

/** Every element below (and including) `root`, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)];
}

/** Elements whose class list contains `className`. */
export function byClass(root: XmlElement, className: string): XmlElement[] {
  return allElements(root).filter((e) => (e.attributes.class ?? '').split(/\s+/).includes(className));
}

/** All text under `element`, concatenated. */
export function textOf(element: XmlElement): string {
  return element.text + element.children.map(textOf).join('');
}

/** The points of an SVG path made of M and L commands, one run per M. */
export function pathRuns(d: string): [number, number][][] {
  const runs: [number, number][][] = [];
  for (const [, command, x, y] of d.matchAll(/([ML])(-?[\d.e+-]+),(-?[\d.e+-]+)/g)) {
    if (command === 'M') runs.push([]);
    runs[runs.length - 1]!.push([Number(x), Number(y)]);
  }
  return runs;
}
