import type { Raster } from '../raster.js';
import { inflate, overlaps, type OrientedBox } from './geometry.js';
import { inpaint } from './inpaint.js';
import type { GlyphAnalysis } from './mask.js';

/**
 * Erasing found text: each word's glyph mask, inpainted within a working area around it (the hole plus
 * room for the texture search). Words whose areas touch are filled together, so one erased word never
 * serves as the "background" of its neighbour; other text is kept out of the texture sources.
 */

export function eraseGlyphs(image: Raster, glyphs: readonly GlyphAnalysis[], others: readonly OrientedBox[]): void {
  type Region = { x0: number; y0: number; x1: number; y1: number; members: GlyphAnalysis[]; textHeight: number };
  let regions: Region[] = glyphs.map((g) => {
    const e = g.erase;
    const textHeight = g.ink.bottom - g.ink.peak;
    // Room for the texture search around the hole (see inpaint's synthesise).
    const m = Math.ceil(1.5 * textHeight) + 8;
    return {
      x0: Math.max(0, e.x0 - m),
      y0: Math.max(0, e.y0 - m),
      x1: Math.min(image.width, e.x0 + e.width + m),
      y1: Math.min(image.height, e.y0 + e.height + m),
      members: [g],
      textHeight,
    };
  });
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let a = 0; a < regions.length; a++) {
      for (let b = a + 1; b < regions.length; b++) {
        const ra = regions[a]!;
        const rb = regions[b]!;
        if (ra.x0 >= rb.x1 || rb.x0 >= ra.x1 || ra.y0 >= rb.y1 || rb.y0 >= ra.y1) continue;
        regions[a] = {
          x0: Math.min(ra.x0, rb.x0),
          y0: Math.min(ra.y0, rb.y0),
          x1: Math.max(ra.x1, rb.x1),
          y1: Math.max(ra.y1, rb.y1),
          members: [...ra.members, ...rb.members],
          textHeight: Math.max(ra.textHeight, rb.textHeight),
        };
        regions = regions.filter((_, k) => k !== b);
        merged = true;
        break outer;
      }
    }
  }
  for (const r of regions) {
    const w = r.x1 - r.x0;
    const h = r.y1 - r.y0;
    const hole = new Uint8Array(w * h);
    for (const g of r.members) {
      const e = g.erase;
      for (let y = 0; y < e.height; y++) {
        for (let x = 0; x < e.width; x++) {
          if (e.data[y * e.width + x]) hole[(e.y0 + y - r.y0) * w + e.x0 + x - r.x0] = 1;
        }
      }
    }
    const avoid = new Uint8Array(w * h);
    const area: OrientedBox = { cx: (r.x0 + r.x1) / 2, cy: (r.y0 + r.y1) / 2, width: w, height: h, angle: 0 };
    for (const box of others.filter((b) => overlaps(b, area))) rasterise(inflate(box, 2), avoid, r.x0, r.y0, w, h);
    inpaint(image, { x0: r.x0, y0: r.y0, width: w, height: h, hole, avoid, textHeight: r.textHeight });
  }
}

function rasterise(box: OrientedBox, into: Uint8Array, x0: number, y0: number, w: number, h: number): void {
  const c = Math.cos(box.angle);
  const s = Math.sin(box.angle);
  const reach = (Math.abs(box.width * c) + Math.abs(box.height * s)) / 2;
  const reachY = (Math.abs(box.width * s) + Math.abs(box.height * c)) / 2;
  const xa = Math.max(0, Math.floor(box.cx - reach - x0));
  const xb = Math.min(w, Math.ceil(box.cx + reach - x0));
  const ya = Math.max(0, Math.floor(box.cy - reachY - y0));
  const yb = Math.min(h, Math.ceil(box.cy + reachY - y0));
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const dx = x0 + x + 0.5 - box.cx;
      const dy = y0 + y + 0.5 - box.cy;
      if (Math.abs(dx * c + dy * s) <= box.width / 2 && Math.abs(-dx * s + dy * c) <= box.height / 2) into[y * w + x] = 1;
    }
  }
}

