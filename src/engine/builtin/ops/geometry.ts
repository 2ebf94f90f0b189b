/**
 * Rotations, flips, zooms and crops of a canvas, applied alike to its image and its subject mask so
 * the two stay aligned. A rotation by a few degrees fills its corners with the image's own mirrored
 * edges rather than black; a zoom out extends the canvas the way the fit does.
 */
import type { Sharp } from 'sharp';
import type { Canvas } from '../context.js';
import { extendCanvas } from '../fit.js';
import { fromRaster, toRaster } from '../raster.js';
import { centroid, maskPipeline, robustBox, toMask, type Box, type Mask } from './mask.js';

/** The same sharp operation on the image and on its mask. */
async function both(canvas: Canvas, op: (s: Sharp, isMask: boolean) => Sharp): Promise<Canvas> {
  const [image, subject] = await Promise.all([
    toRaster(op(fromRaster(canvas.image), false)),
    canvas.subject ? toMask(op(maskPipeline(canvas.subject), true)) : undefined,
  ]);
  return { ...canvas, image, subject };
}

export async function rotate(canvas: Canvas, degrees: number): Promise<Canvas> {
  const d = ((degrees % 360) + 360) % 360;
  if (d === 0) return canvas;
  if (d % 90 === 0) return both(canvas, (s) => s.rotate(d));
  const { width: w, height: h } = canvas.image;
  // Enough mirrored margin that the rotated frame never reaches past it.
  const rad = (Math.min(d, 360 - d) * Math.PI) / 180;
  const margin = Math.ceil((Math.abs(Math.sin(rad)) * Math.max(w, h)) / 2 + 2);
  const transparent = canvas.image.channels === 4;
  const clear = { r: 0, g: 0, b: 0, alpha: 0 };
  // sharp runs one geometric operation of each kind per pipeline, rotation first: three passes.
  const extended = await both(canvas, (s, isMask) =>
    s.extend({ top: margin, bottom: margin, left: margin, right: margin, extendWith: isMask || transparent ? 'background' : 'mirror', background: clear }),
  );
  const rotated = await both(extended, (s) => s.rotate(d, { background: clear }));
  const left = Math.round((rotated.image.width - w) / 2);
  const top = Math.round((rotated.image.height - h) / 2);
  return both(rotated, (s) => s.extract({ left, top, width: w, height: h }));
}

export async function flip(canvas: Canvas, direction: 'horizontal' | 'vertical'): Promise<Canvas> {
  return both(canvas, (s) => (direction === 'horizontal' ? s.flop() : s.flip()));
}

/** > 1: the middle (around the subject, when known) enlarged to the frame; < 1: the frame grows around it. */
export async function zoom(canvas: Canvas, factor: number): Promise<Canvas> {
  const f = Math.min(4, Math.max(0.25, factor));
  const { width: w, height: h } = canvas.image;
  if (Math.abs(f - 1) < 0.01) return canvas;
  if (f > 1) {
    const cw = Math.max(1, Math.round(w / f));
    const ch = Math.max(1, Math.round(h / f));
    const focus = (canvas.subject && centroid(canvas.subject)) ?? { x: 0.5, y: 0.5 };
    const left = Math.min(w - cw, Math.max(0, Math.round(focus.x * w - cw / 2)));
    const top = Math.min(h - ch, Math.max(0, Math.round(focus.y * h - ch / 2)));
    const cropped = await both(canvas, (s) => s.extract({ left, top, width: cw, height: ch }));
    return both(cropped, (s) => s.resize(w, h, { fit: 'fill', kernel: 'lanczos3' }));
  }
  const image = await extendCanvas(canvas.image, w, h, f);
  const subject = canvas.subject ? await zoomOutMask(canvas.subject, f) : undefined;
  return { ...canvas, image, subject };
}

async function zoomOutMask(m: Mask, f: number): Promise<Mask> {
  const w = Math.max(1, Math.round(m.width * f));
  const h = Math.max(1, Math.round(m.height * f));
  const left = Math.floor((m.width - w) / 2);
  const top = Math.floor((m.height - h) / 2);
  return toMask(
    maskPipeline(m)
      .resize(w, h, { fit: 'fill' })
      .extend({ left, top, right: m.width - w - left, bottom: m.height - h - top, background: { r: 0, g: 0, b: 0 } }),
  );
}

/** The subject's box with `margin` (a fraction of its size) around it; undefined without a subject. */
export function subjectCrop(canvas: Canvas, margin: number): Box | undefined {
  if (!canvas.subject) return undefined;
  const box = robustBox(canvas.subject);
  if (!box) return undefined;
  const sx = canvas.image.width / canvas.subject.width;
  const sy = canvas.image.height / canvas.subject.height;
  const mx = box.width * margin;
  const my = box.height * margin;
  const left = Math.max(0, Math.floor((box.left - mx) * sx));
  const top = Math.max(0, Math.floor((box.top - my) * sy));
  const right = Math.min(canvas.image.width, Math.ceil((box.left + box.width + mx) * sx));
  const bottom = Math.min(canvas.image.height, Math.ceil((box.top + box.height + my) * sy));
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}

export async function crop(canvas: Canvas, box: Box): Promise<Canvas> {
  return both(canvas, (s) => s.extract(box));
}

