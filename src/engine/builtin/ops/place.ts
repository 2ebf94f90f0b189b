/**
 * Multi-reference fusion: a reference's subject, cut out with its mask, scaled to a plausible size,
 * put where the prompt says (or side by side on the lower part of the scene), its colours moved
 * towards the scene's, its edge feathered, and a soft contact shadow under it.
 */
import sharp, { type OverlayOptions } from 'sharp';
import type { Anchor, Position } from '../prompt/types.js';
import type { Raster } from '../raster.js';
import { fromRaster, toRaster } from '../raster.js';
import { harmonise, labStats } from './harmonise.js';
import { blend, boundingBox, extractMask, featherMask, resizeMask, type Box, type Mask } from './mask.js';

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
            slots[i] = { box: boxFor(s.aspect, clamp(o.height * 0.8, H * 0.15, H * 0.6) * s.size, ocx, o.top + o.height * 0.3), behind: false };
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
  const found = boundingBox(mask, 128);
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
  const [image, cropped] = await Promise.all([toRaster(fromRaster(source).extract(box)), extractMask(mask, inMask)]);
  const m = await resizeMask(cropped, box.width, box.height);
  return { image, mask: soft ? fadeOut(m) : m, aspect: box.width / box.height, cutAtBottom: !soft && found.top + found.height >= mask.height - 2, soft };
}

/**
 * The mask faded towards an ellipse inscribed in its box: full inside 70 % of the radii, nothing at the
 * ellipse, a smooth step between. Where the mask has a real outline inside that, the outline stays.
 */
function fadeOut(m: Mask): Mask {
  const data = new Uint8Array(m.data.length);
  const rx = m.width / 2;
  const ry = m.height / 2;
  for (let y = 0; y < m.height; y++) {
    const dy = (y + 0.5 - ry) / ry;
    for (let x = 0; x < m.width; x++) {
      const dx = (x + 0.5 - rx) / rx;
      const t = clamp((1 - Math.sqrt(dx * dx + dy * dy)) / 0.3, 0, 1);
      const fade = t * t * (3 - 2 * t);
      data[y * m.width + x] = Math.round(m.data[y * m.width + x]! * fade);
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

  const overlay = Buffer.alloc(width * height * 4);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += coloured.channels, o += 4) {
    overlay[o] = coloured.data[i]!;
    overlay[o + 1] = coloured.data[i + 1]!;
    overlay[o + 2] = coloured.data[i + 2]!;
    overlay[o + 3] = mask.data[p]!;
  }
  const shadow = cut.soft ? undefined : await contactShadow(mask, box, scene);
  let out = await toRaster(
    fromRaster(scene).composite([
      ...(shadow ? [shadow] : []),
      { input: overlay, raw: { width, height, channels: 4 }, left: box.left, top: box.top },
    ]),
  );
  if (out.channels !== scene.channels) out = await toRaster(fromRaster(out).removeAlpha());
  // Placed behind: the scene's own subject goes back over it, through its soft mask.
  return sceneMask ? blend(scene, out, sceneMask) : out;
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
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(((m.data[i]! - 50) * 255) / 205)));
  return { ...m, data };
}

/**
 * A soft dark ellipse where the subject meets the ground, as a multiply layer. Drawn and blurred at
 * an eighth of its size (a blur this wide needs no detail), then enlarged.
 */
async function contactShadow(mask: Mask, box: Box, scene: Raster): Promise<OverlayOptions | undefined> {
  const found = boundingBox(mask, 128);
  if (!found) return undefined;
  const w = Math.round(found.width * 1.1);
  const h = Math.max(4, Math.round(found.height * 0.09));
  const sigma = Math.max(2, w / 14);
  const pad = Math.ceil(sigma * 2.5);
  const cw = w + 2 * pad;
  const ch = h + 2 * pad;
  const k = 8;
  const sw = Math.max(4, Math.round(cw / k));
  const sh = Math.max(4, Math.round(ch / k));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${sw}" height="${sh}"><ellipse cx="${sw / 2}" cy="${sh / 2}" rx="${w / 2 / k}" ry="${Math.max(0.5, h / 2 / k)}" fill="black" fill-opacity="0.5"/></svg>`;
  const small = await sharp(Buffer.from(svg)).blur(Math.max(0.3, sigma / k)).png({ compressionLevel: 0 }).toBuffer();
  const cx = box.left + found.left + found.width / 2;
  const baseY = box.top + found.top + found.height;
  const left = Math.round(cx - cw / 2);
  const top = Math.round(baseY - ch / 2 - h * 0.15);
  // Only the part inside the scene: libvips refuses overlays that stick out.
  const cropLeft = Math.max(0, -left);
  const cropTop = Math.max(0, -top);
  const cropW = Math.min(cw - cropLeft, scene.width - Math.max(0, left));
  const cropH = Math.min(ch - cropTop, scene.height - Math.max(0, top));
  if (cropW <= 0 || cropH <= 0) return undefined;
  const layer = await sharp(small)
    .resize(cw, ch, { fit: 'fill', kernel: 'cubic' })
    .extract({ left: cropLeft, top: cropTop, width: cropW, height: cropH })
    .ensureAlpha()
    .raw()
    .toBuffer();
  return { input: layer, raw: { width: cropW, height: cropH, channels: 4 }, left: Math.max(0, left), top: Math.max(0, top), blend: 'multiply' };
}
