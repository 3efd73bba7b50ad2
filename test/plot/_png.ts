/**
 * A small PNG decoder for tests (8-bit greyscale/RGB/RGBA, not interlaced — what resvg writes),
 * so tests can look at the pixels of the files gloss writes rather than trust the renderer.
 */
import { inflateSync } from 'node:zlib';

/** Decoded image: RGBA, 4 bytes per pixel, row-major. */
export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Decodes `bytes`; throws on anything but a plain 8-bit PNG. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error('decodePng: not a PNG (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const data: Uint8Array[] = [];
  while (offset < bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      const bitDepth = body[8]!;
      colorType = body[9]!;
      if (bitDepth !== 8 || body[12] !== 0) throw new Error('decodePng: only 8-bit, non-interlaced images');
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const channels = { 0: 1, 2: 3, 6: 4, 4: 2 }[colorType];
  if (channels === undefined) throw new Error(`decodePng: colour type ${colorType} is not supported`);
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const upLeft = y > 0 && x >= channels ? pixels[(y - 1) * stride + x - channels]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const source = pixels.subarray(i * channels, (i + 1) * channels);
    const grey = channels <= 2;
    rgba[i * 4] = source[0]!;
    rgba[i * 4 + 1] = grey ? source[0]! : source[1]!;
    rgba[i * 4 + 2] = grey ? source[0]! : source[2]!;
    rgba[i * 4 + 3] = channels === 4 ? source[3]! : channels === 2 ? source[1]! : 255;
  }
  return { width, height, rgba };
}

/** How many pixels in the box [x0, x1) × [y0, y1) are dark (opaque and mostly black). */
export function darkPixels(
  image: DecodedPng,
  box: { x0: number; y0: number; x1: number; y1: number },
): number {
  let count = 0;
  for (let y = Math.max(0, box.y0); y < Math.min(image.height, box.y1); y++) {
    for (let x = Math.max(0, box.x0); x < Math.min(image.width, box.x1); x++) {
      const i = (y * image.width + x) * 4;
      const luminance = 0.299 * image.rgba[i]! + 0.587 * image.rgba[i + 1]! + 0.114 * image.rgba[i + 2]!;
      if (image.rgba[i + 3]! > 128 && luminance < 100) count++;
    }
  }
  return count;
}
