import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { measureInk, type Ink } from './level.js';

/**
 * The faces new text is set in: OFL fonts from npm (Fontsource), registered with the canvas once per
 * process under names of our own, so a system font of the same name can never stand in.
 * Inter for sans, Noto Serif for serif, Roboto Condensed for sans that must fit a narrower box; each in
 * regular, bold and black. Only the Latin subset is registered (Western European letters); other
 * scripts fall back to whatever the system has.
 */

export type FaceKind = 'sans' | 'serif' | 'condensed';

export interface Face {
  kind: FaceKind;
  weight: 400 | 700 | 900;
  family: string;
  file: string;
}

const require = createRequire(import.meta.url);

const FAMILIES: Record<FaceKind, { pkg: string; prefix: string; family: string }> = {
  sans: { pkg: '@fontsource/inter', prefix: 'inter', family: 'Retouch Sans' },
  serif: { pkg: '@fontsource/noto-serif', prefix: 'noto-serif', family: 'Retouch Serif' },
  condensed: { pkg: '@fontsource/roboto-condensed', prefix: 'roboto-condensed', family: 'Retouch Condensed' },
};

export const FACES: readonly Face[] = (['sans', 'serif', 'condensed'] as const).flatMap((kind) =>
  ([400, 700, 900] as const).map((weight): Face => {
    const f = FAMILIES[kind];
    const dir = path.join(path.dirname(require.resolve(`${f.pkg}/package.json`)), 'files');
    return { kind, weight, family: f.family, file: path.join(dir, `${f.prefix}-latin-${weight}-normal.woff2`) };
  }),
);

let registered = false;

export function registerFonts(): void {
  if (registered) return;
  for (const face of FACES) {
    if (!GlobalFonts.registerFromPath(face.file, face.family)) throw new Error(`Could not load the font ${face.file}`);
  }
  registered = true;
}

export function fontString(face: Face, size: number): string {
  return `${face.weight} ${size.toFixed(2)}px "${face.family}"`;
}

export function faceOf(kind: FaceKind, weight: Face['weight']): Face {
  return FACES.find((f) => f.kind === kind && f.weight === weight)!;
}

/** Text rendered level as a 0/1 ink mask, with the same column statistics as the measured glyphs. */
export interface Rendered {
  data: Uint8Array;
  cover: Float32Array;
  width: number;
  height: number;
  /** Frame coordinates: the pen starts at u = 0 on the baseline v = 0. */
  u0: number;
  v0: number;
  scale: 1;
  ink: Ink;
}

export function renderLevel(text: string, face: Face, size: number): Rendered | undefined {
  registerFonts();
  const probe = createCanvas(1, 1).getContext('2d');
  probe.font = fontString(face, size);
  const m = probe.measureText(text);
  const pad = Math.ceil(size * 0.1) + 2;
  const left = Math.ceil(m.actualBoundingBoxLeft);
  const ascent = Math.ceil(Math.max(m.actualBoundingBoxAscent, size));
  const descent = Math.ceil(Math.max(m.actualBoundingBoxDescent, size * 0.3));
  const width = Math.ceil(left + m.actualBoundingBoxRight) + 2 * pad;
  const height = ascent + descent + 2 * pad;
  if (width <= 2 * pad) return undefined;
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.font = fontString(face, size);
  // White, as render.ts draws its coverage: Skia thickens light glyph masks and thins dark ones
  // (its text gamma), so a template in black would look a weight lighter than what is drawn.
  g.fillStyle = '#fff';
  g.fillText(text, pad + left, pad + ascent);
  const rgba = g.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  const cover = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    cover[i] = rgba[i * 4 + 3]! / 255;
    data[i] = rgba[i * 4 + 3]! >= 128 ? 1 : 0;
  }
  const u0 = -(pad + left);
  const v0 = -(pad + ascent);
  const ink = measureInk({ data, cover, width, height, scale: 1, u0, v0 });
  if (!ink) return undefined;
  return { data, cover, width, height, u0, v0, scale: 1, ink };
}

/** Where the ink of `text` starts and ends relative to the pen, and its top and bottom, at `size`. */
export function inkExtent(text: string, face: Face, size: number): { left: number; right: number; ascent: number; descent: number } {
  registerFonts();
  const g = createCanvas(1, 1).getContext('2d');
  g.font = fontString(face, size);
  const m = g.measureText(text);
  return { left: -m.actualBoundingBoxLeft, right: m.actualBoundingBoxRight, ascent: m.actualBoundingBoxAscent, descent: m.actualBoundingBoxDescent };
}
