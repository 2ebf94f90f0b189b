/**
 * Multi-reference fusion: a reference's subject, cut out with its mask, scaled to a plausible size,
 * put where the prompt says (or side by side on the lower part of the scene), its colours moved
 * towards the scene's, its edge feathered, and a soft contact shadow under it.
 */
import type { Anchor, Position } from '../prompt/types.js';
import type { Raster } from '../raster.js';
import { fromRaster, toRaster } from '../raster.js';
import { harmonise, labStats } from './harmonise.js';
import { blend, boundingBox, featherMask, resizeMask, type Box, type Mask } from './mask.js';

export interface Placement {
  /** The reference and its subject mask. */
  source: Raster;
  mask: Mask;
  /** Multiplies the plausible size. */
  size: number;
  position?: Position | undefined;
  anchor?: Anchor | undefined;
}

/** Where a subject lands: its box in the scene, and whether the scene's own subject covers it. */
export interface Slot {
  box: Box;
  behind: boolean;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * Decides every subject's box. `sceneSubject` is the scene's own main object, for anchors ("on the
 * boat" puts the subject on the scene's most salient object). `variant` shifts the default layout
 * so that the images of a set differ.
 */
export interface LayoutSubject {
  aspect: number;
  size: number;
  position?: Position | undefined;
  anchor?: Anchor | undefined;
  /** Cut off at the bottom of its photo: it stands on the bottom of the frame, so the cut never shows. */
  cutAtBottom?: boolean | undefined;
}

export function layout(scene: { width: number; height: number }, subjects: LayoutSubject[], sceneSubject: Box | undefined, variant: number): Slot[] {
  const W = scene.width;
  const H = scene.height;
  const defaults = subjects.map((s, i) => ({ s, i })).filter(({ s }) => !s.position && !s.anchor);
  const order = variant % 2 === 1 ? [...defaults].reverse() : defaults;
  const slots: Slot[] = new Array(subjects.length);
  const boxFor = (aspect: number, height: number, cx: number, bottom: number): Box => {
    let h = height;
    let w = h * aspect;
    // Never wider than most of the frame, never taller than it.
    if (w > W * 0.9) {
      w = W * 0.9;
      h = w / aspect;
    }
    h = Math.min(h, H * 0.95);
    w = h * aspect;
    const left = clamp(Math.round(cx - w / 2), 0, Math.max(0, Math.round(W - w)));
    const top = clamp(Math.round(bottom - h), 0, Math.max(0, Math.round(H - h)));
    return { left, top, width: Math.max(1, Math.round(w)), height: Math.max(1, Math.round(h)) };
  };

  // Side by side on the lower part of the scene, each in its own share of the width; beside the scene's
  // main object, never over it (the prompt did not ask for that).
  const sides = freeSides(W, sceneSubject);
  const shares = sides.length ? sharesOf(sides, order.length) : [{ start: 0, width: W, count: order.length }];
  let k = 0;
  for (const side of shares) {
    const share = side.width / side.count;
    for (let j = 0; j < side.count; j++, k++) {
      const { s, i } = order[k]!;
      const shift = variant > 1 ? ((variant % 3) - 1) * 0.08 * share : 0;
      const cx = clamp(side.start + share * (j + 0.5) + shift, side.start + share * 0.3, side.start + side.width - share * 0.3);
      const height = Math.min(H * 0.55, (share * 0.85) / s.aspect) * s.size;
      slots[i] = { box: boxFor(s.aspect, height, cx, H * 0.93), behind: false };
    }
  }

  subjects.forEach((s, i) => {
    if (slots[i]) return;
    const base = H * 0.5 * s.size;
    if (s.anchor && sceneSubject) {
      const o = sceneSubject;
      const ocx = o.left + o.width / 2;
      switch (s.anchor.relation) {
        case 'on':
          // On it: standing on its upper surface, which in a photo is the top part of its box. A subject
          // cut off at the bottom of its photo (a bust) sits down into it instead, the object in front
          // hiding the cut.
          if (s.cutAtBottom) {
            slots[i] = { box: boxFor(s.aspect, clamp(o.height * 0.75, H * 0.15, H * 0.6) * s.size, ocx, o.top + o.height * 0.5), behind: true };
          } else {
            slots[i] = { box: boxFor(s.aspect, clamp(0.9 * Math.max(o.height, 0.35 * o.width), H * 0.15, H * 0.6) * s.size, ocx, o.top + o.height * 0.3), behind: false };
          }
          return;
        case 'in':
          // In it: lower, a little smaller than the object, which stays in front of the part inside it.
          slots[i] = { box: boxFor(s.aspect, clamp(o.height * 0.7, H * 0.15, H * 0.65) * s.size, ocx, o.top + o.height * 0.5), behind: true };
          return;
        case 'beside': {
          const right = o.left + o.width + (W - o.left - o.width) / 2;
          const left = o.left / 2;
          const cx = W - (o.left + o.width) > o.left ? right : left;
          slots[i] = { box: boxFor(s.aspect, o.height * 0.9 * s.size, cx, o.top + o.height), behind: false };
          return;
        }
        case 'behind':
          slots[i] = { box: boxFor(s.aspect, o.height * 0.8 * s.size, ocx + o.width * 0.2, o.top + o.height * 0.6), behind: true };
          return;
        case 'in_front_of':
          slots[i] = { box: boxFor(s.aspect, o.height * 0.9 * s.size, ocx, Math.min(H * 0.98, o.top + o.height * 1.1)), behind: false };
          return;
        case 'under':
          slots[i] = { box: boxFor(s.aspect, o.height * 0.5 * s.size, ocx, o.top + o.height), behind: true };
          return;
        case 'above':
          slots[i] = { box: boxFor(s.aspect, o.height * 0.6 * s.size, ocx, o.top), behind: false };
          return;
      }
    }
    const p = s.position ?? 'center';
    const cx = p.includes('left') ? W * 0.27 : p.includes('right') ? W * 0.73 : W * 0.5;
    if (p === 'front') slots[i] = { box: boxFor(s.aspect, base * 1.3, cx, H * 0.98), behind: false };
    else if (p === 'background') slots[i] = { box: boxFor(s.aspect, base * 0.55, cx, H * 0.68), behind: false };
    else if (p.startsWith('top')) slots[i] = { box: boxFor(s.aspect, base * 0.8, cx, H * 0.08 + base * 0.8), behind: false };
    else slots[i] = { box: boxFor(s.aspect, base, cx, p.startsWith('bottom') ? H * 0.96 : H * 0.88), behind: false };
  });
  // A subject cut at the bottom of its photo must reach the frame's bottom, unless an object of the
  // scene hides the cut (on, in, behind, under it).
  subjects.forEach((s, i) => {
    const slot = slots[i];
    const hidden = sceneSubject && s.anchor && ['on', 'in', 'behind', 'under'].includes(s.anchor.relation);
    if (s.cutAtBottom && slot && !hidden) slot.box = { ...slot.box, top: Math.max(0, H - slot.box.height) };
  });
  return slots;
}

/** Stretches of the width left free by the scene's main object (with a margin), wide enough for a subject. */
function freeSides(W: number, object: Box | undefined): { start: number; width: number }[] {
  if (!object) return [];
  const margin = 0.02 * W;
  const sides = [
    { start: 0, width: object.left - margin },
    { start: object.left + object.width + margin, width: W - (object.left + object.width + margin) },
  ];
  return sides.filter((s) => s.width >= 0.15 * W);
}

/** How many subjects each free side takes: the wider side first, in proportion to the widths. */
function sharesOf(sides: { start: number; width: number }[], n: number): { start: number; width: number; count: number }[] {
  if (n === 0) return [];
  if (sides.length === 1 || n === 1) {
    const widest = [...sides].sort((a, b) => b.width - a.width)[0]!;
    return [{ ...widest, count: n }];
  }
  const total = sides.reduce((sum, s) => sum + s.width, 0);
  const first = Math.min(n - 1, Math.max(1, Math.round((n * sides[0]!.width) / total)));
  return [
    { ...sides[0]!, count: first },
    { ...sides[1]!, count: n - first },
  ];
}

export interface CutOut {
  image: Raster;
  /** Over the same part of the source as `image`, at the mask's own resolution (maybe lower). */
  mask: Mask;
  aspect: number;
  /** The subject runs off the bottom of its photo (a bust, a person cut at the knees). */
  cutAtBottom: boolean;
  /**
   * The mask cannot be trusted as an outline (a close-up filling its frame, an unsure mask): the edge is
   * faded out softly towards the box's border instead, and no contact shadow is drawn.
   */
  soft: boolean;
}

/**
 * The subject's pixels and mask, cropped to its box (with a little room for the soft edge). The mask may
 * be smaller than the source (a subject is masked at a bounded resolution): the box is found on the
 * mask, the pixels are cut from the source at full resolution, and the mask's crop is brought to them.
 */
export async function cutOut(source: Raster, mask: Mask, soft = false): Promise<CutOut | undefined> {
  // A subject that cuts badly is the picture's middle, faded out: where the model is unsure of
  // everything, that is the whole frame.
  const found = boundingBox(mask, 128) ?? (soft ? { left: 0, top: 0, width: mask.width, height: mask.height } : undefined);
  if (!found) return undefined;
  const pad = Math.round(Math.max(found.width, found.height) * 0.01);
  const inMask = {
    left: Math.max(0, found.left - pad),
    top: Math.max(0, found.top - pad),
    width: Math.min(mask.width - Math.max(0, found.left - pad), found.width + 2 * pad),
    height: Math.min(mask.height - Math.max(0, found.top - pad), found.height + 2 * pad),
  };
  const sx = source.width / mask.width;
  const sy = source.height / mask.height;
  const left = Math.floor(inMask.left * sx);
  const top = Math.floor(inMask.top * sy);
  const box = {
    left,
    top,
    width: Math.max(1, Math.min(source.width - left, Math.round(inMask.width * sx))),
    height: Math.max(1, Math.min(source.height - top, Math.round(inMask.height * sy))),
  };
  // Row copies, not a libvips pipeline: it would take the whole frame in to hand a part of it back.
  const image = cropRaster(source, box);
  const m = cropMask(mask, inMask);
  return { image, mask: soft ? fadeOut(m) : m, aspect: box.width / box.height, cutAtBottom: !soft && found.top + found.height >= mask.height - 2, soft };
}

function cropRaster(r: Raster, b: Box): Raster {
  const n = r.channels;
  const data = Buffer.allocUnsafe(b.width * b.height * n);
  // set(subarray), not Buffer#copy: on a buffer that sharp allocated, copy costs some 20 µs a call
  // (40 ms for the rows of a 2048² frame, against 1.4 ms).
  for (let y = 0; y < b.height; y++) {
    const from = ((b.top + y) * r.width + b.left) * n;
    data.set(r.data.subarray(from, from + b.width * n), y * b.width * n);
  }
  return { data, width: b.width, height: b.height, channels: r.channels };
}

function cropMask(m: Mask, b: Box): Mask {
  const data = new Uint8Array(b.width * b.height);
  for (let y = 0; y < b.height; y++) data.set(m.data.subarray((b.top + y) * m.width + b.left, (b.top + y) * m.width + b.left + b.width), y * b.width);
  return { width: b.width, height: b.height, data };
}

/**
 * An ellipse inscribed in the mask's box, faded: full inside 70 % of the radii, nothing at the ellipse, a
 * smooth step between. The mask itself is not trusted as an outline here (that is why it is soft); it
 * only lifts what it is sure of at the fade's edge.
 */
function fadeOut(m: Mask): Mask {
  const data = new Uint8Array(m.data.length);
  const rx = m.width / 2;
  const ry = m.height / 2;
  for (let y = 0; y < m.height; y++) {
    const dy = (y + 0.5 - ry) / ry;
    const dy2 = dy * dy;
    for (let x = 0; x < m.width; x++) {
      const dx = (x + 0.5 - rx) / rx;
      const d2 = dx * dx + dy2;
      // Outside the ellipse nothing, well inside the 70 % all (r ≤ 0.69 makes t ≥ 1): no square root.
      if (d2 >= 1) continue;
      if (d2 <= 0.48) {
        data[y * m.width + x] = 255;
        continue;
      }
      const t = clamp((1 - Math.sqrt(d2)) / 0.3, 0, 1);
      const fade = t * t * (3 - 2 * t);
      const sure = m.data[y * m.width + x]! >= 230 ? Math.min(1, 2 * fade) : fade;
      data[y * m.width + x] = Math.round(255 * sure);
    }
  }
  return { ...m, data };
}

/**
 * Pastes one cut-out into the scene at `box`: resized with Lanczos, colour-harmonised by `harmony`,
 * the mask pulled in a little (a cut-out keeps a fringe of its old background) and feathered, over a
 * soft contact shadow.
 */
export async function paste(scene: Raster, cut: CutOut, box: Box, harmony: number, sceneMask?: Mask): Promise<Raster> {
  // A bust lifted off the frame's bottom (sitting on or in something): its cut fades out downwards, so
  // whatever of it the object does not hide ends softly instead of in a straight line.
  const fadeBottom = cut.cutAtBottom && box.top + box.height < scene.height - 2;
  const { width, height } = box;
  const [image, rawMask] = await Promise.all([
    toRaster(fromRaster(cut.image).resize(width, height, { fit: 'fill', kernel: 'lanczos3' })),
    resizeMask(cut.mask, width, height),
  ]);
  // A mean and a spread: some 65,000 samples of the scene are plenty, whatever its size.
  const stats = labStats(scene, undefined, Math.max(4, Math.round(Math.sqrt((scene.width * scene.height) / 65_536))));
  const coloured = stats ? harmonise(image, rawMask, stats, harmony) : image;
  const tightened = fadeBottom ? fadeDown(tighten(rawMask), 0.3) : tighten(rawMask);
  const mask = await featherMask(tightened, Math.max(0.5, Math.min(width, height) / 500));

  const shadow = cut.soft ? undefined : contactShadow(mask, box, scene);
  // Composited here, only where the layers are: libvips would take the whole frame through a pipeline
  // (in, composite, out with alpha, alpha off again) for a subject that covers a fraction of it.
  const out: Raster = { ...scene, data: Buffer.from(scene.data) };
  if (shadow) darken(out, shadow);
  over(out, coloured, mask, box);
  // Placed behind: the scene's own subject goes back over it, through its soft mask.
  return sceneMask ? blend(scene, out, sceneMask) : out;
}

/** A shadow layer (its alpha) multiplies the scene towards black. */
function darken(out: Raster, shadow: ShadowLayer): void {
  const n = out.channels;
  for (let y = 0; y < shadow.height; y++) {
    for (let x = 0; x < shadow.width; x++) {
      const a = shadow.alpha[y * shadow.width + x]!;
      if (a === 0) continue;
      const o = ((shadow.top + y) * out.width + shadow.left + x) * n;
      const k = 1 - a / 255;
      out.data[o] = Math.round(out.data[o]! * k);
      out.data[o + 1] = Math.round(out.data[o + 1]! * k);
      out.data[o + 2] = Math.round(out.data[o + 2]! * k);
    }
  }
}

/** The subject over the scene at `box`, through its mask; pixels outside the frame are skipped. */
function over(out: Raster, subject: Raster, mask: Mask, box: Box): void {
  const n = out.channels;
  const m = subject.channels;
  for (let y = Math.max(0, -box.top); y < box.height && box.top + y < out.height; y++) {
    for (let x = Math.max(0, -box.left); x < box.width && box.left + x < out.width; x++) {
      const p = y * box.width + x;
      const a = mask.data[p]!;
      if (a === 0) continue;
      const o = ((box.top + y) * out.width + box.left + x) * n;
      const i = p * m;
      if (a === 255) {
        out.data[o] = subject.data[i]!;
        out.data[o + 1] = subject.data[i + 1]!;
        out.data[o + 2] = subject.data[i + 2]!;
        continue;
      }
      const t = a / 255;
      out.data[o] = Math.round(subject.data[i]! * t + out.data[o]! * (1 - t));
      out.data[o + 1] = Math.round(subject.data[i + 1]! * t + out.data[o + 1]! * (1 - t));
      out.data[o + 2] = Math.round(subject.data[i + 2]! * t + out.data[o + 2]! * (1 - t));
    }
  }
}

/** The mask faded to nothing over its bottom `share` of rows, with a smooth step. */
function fadeDown(m: Mask, share: number): Mask {
  const data = new Uint8Array(m.data);
  const from = Math.floor(m.height * (1 - share));
  for (let y = from; y < m.height; y++) {
    const t = 1 - (y - from + 0.5) / (m.height - from);
    const k = t * t * (3 - 2 * t);
    for (let x = 0; x < m.width; x++) data[y * m.width + x] = Math.round(data[y * m.width + x]! * k);
  }
  return { ...m, data };
}

/** Pulls a soft mask's edge inwards by remapping its levels: the outermost, mixed pixels go. */
function tighten(m: Mask): Mask {
  const data = new Uint8Array(m.data.length);
  for (let i = 0; i < data.length; i++) data[i] = TIGHTENED[m.data[i]!]!;
  return { ...m, data };
}

const TIGHTENED = Uint8Array.from({ length: 256 }, (_, v) => Math.max(0, Math.min(255, Math.round(((v - 50) * 255) / 205))));

interface ShadowLayer {
  /** 0..255: how far each pixel is darkened towards black. */
  alpha: Uint8Array;
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * A soft dark ellipse where the subject meets the ground, at half opacity, blurred wide. Computed
 * directly: a box blurred by a Gaussian is a difference of two error functions along each axis, and
 * the product of the two profiles is the blurred ellipse closely enough for a shadow this soft.
 */
function contactShadow(mask: Mask, box: Box, scene: Raster): ShadowLayer | undefined {
  const found = boundingBox(mask, 128);
  if (!found) return undefined;
  // The mask may be at a lower resolution than the box it is pasted into.
  const kx = box.width / mask.width;
  const ky = box.height / mask.height;
  const w = found.width * kx * 1.1;
  const h = Math.max(4, found.height * ky * 0.09);
  const sigma = Math.max(2, w / 14);
  const pad = Math.ceil(sigma * 2.5);
  const cx = box.left + (found.left + found.width / 2) * kx;
  const cy = box.top + (found.top + found.height) * ky - h * 0.15;
  const left = Math.max(0, Math.floor(cx - w / 2 - pad));
  const top = Math.max(0, Math.floor(cy - h / 2 - pad));
  const right = Math.min(scene.width, Math.ceil(cx + w / 2 + pad));
  const bottom = Math.min(scene.height, Math.ceil(cy + h / 2 + pad));
  if (right <= left || bottom <= top) return undefined;
  const profile = (from: number, to: number, centre: number, radius: number) =>
    Float32Array.from({ length: to - from }, (_, i) => {
      const d = from + i + 0.5 - centre;
      const s = sigma * Math.SQRT2;
      return 0.5 * (erf((radius - d) / s) + erf((radius + d) / s));
    });
  const px = profile(left, right, cx, w / 2);
  const py = profile(top, bottom, cy, h / 2);
  const width = right - left;
  const height = bottom - top;
  const alpha = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) alpha[y * width + x] = Math.round(127.5 * px[x]! * py[y]!);
  return { alpha, left, top, width, height };
}

/** The error function (Abramowitz and Stegun 7.1.26, within 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
