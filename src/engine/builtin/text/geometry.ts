/**
 * Text lives on rotated lines, so every region here is an oriented box: a centre, a direction along the
 * text and the extents along it (u) and across it (v). Angles are radians, clockwise on screen (y
 * grows downwards), the same sense as canvas `rotate()`: text at +15° runs down to the right.
 */

export interface Point {
  x: number;
  y: number;
}

export interface OrientedBox {
  cx: number;
  cy: number;
  /** Extent along the text direction. */
  width: number;
  /** Extent across it. */
  height: number;
  angle: number;
}

/** The text's own frame: u along the writing direction, v downwards across it, from an origin. */
export interface Frame {
  ox: number;
  oy: number;
  angle: number;
}

export function frameOf(box: OrientedBox): Frame {
  return { ox: box.cx, oy: box.cy, angle: box.angle };
}

/** Image point → (u, v) in the frame. */
export function toFrame(f: Frame, x: number, y: number): Point {
  const c = Math.cos(f.angle);
  const s = Math.sin(f.angle);
  const dx = x - f.ox;
  const dy = y - f.oy;
  return { x: dx * c + dy * s, y: -dx * s + dy * c };
}

/** (u, v) in the frame → image point. */
export function fromFrame(f: Frame, u: number, v: number): Point {
  const c = Math.cos(f.angle);
  const s = Math.sin(f.angle);
  return { x: f.ox + u * c - v * s, y: f.oy + u * s + v * c };
}

export function corners(box: OrientedBox): Point[] {
  const f = frameOf(box);
  const w = box.width / 2;
  const h = box.height / 2;
  return [fromFrame(f, -w, -h), fromFrame(f, w, -h), fromFrame(f, w, h), fromFrame(f, -w, h)];
}

/** The smallest box at `angle` holding all the points. */
export function boxAround(points: readonly Point[], angle: number): OrientedBox {
  const f: Frame = { ox: 0, oy: 0, angle };
  let u0 = Infinity;
  let u1 = -Infinity;
  let v0 = Infinity;
  let v1 = -Infinity;
  for (const p of points) {
    const q = toFrame(f, p.x, p.y);
    u0 = Math.min(u0, q.x);
    u1 = Math.max(u1, q.x);
    v0 = Math.min(v0, q.y);
    v1 = Math.max(v1, q.y);
  }
  const c = fromFrame(f, (u0 + u1) / 2, (v0 + v1) / 2);
  return { cx: c.x, cy: c.y, width: u1 - u0, height: v1 - v0, angle };
}

export function inflate(box: OrientedBox, du: number, dv: number = du): OrientedBox {
  return { ...box, width: box.width + 2 * du, height: box.height + 2 * dv };
}

/** Axis-aligned integer bounds [x0, x1) × [y0, y1) of the box, clipped to the image. */
export function pixelBounds(box: OrientedBox, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } {
  const cs = corners(box);
  const xs = cs.map((p) => p.x);
  const ys = cs.map((p) => p.y);
  return {
    x0: Math.max(0, Math.floor(Math.min(...xs))),
    y0: Math.max(0, Math.floor(Math.min(...ys))),
    x1: Math.min(width, Math.ceil(Math.max(...xs))),
    y1: Math.min(height, Math.ceil(Math.max(...ys))),
  };
}

/** Whether the pixel centre (x + 0.5, y + 0.5) lies in the box. */
export function containsPixel(box: OrientedBox, x: number, y: number): boolean {
  const q = toFrame(frameOf(box), x + 0.5, y + 0.5);
  return Math.abs(q.x) <= box.width / 2 && Math.abs(q.y) <= box.height / 2;
}

/** Do two boxes overlap? Bounding circles first (most pairs are far apart), then separating axes. */
export function overlaps(a: OrientedBox, b: OrientedBox): boolean {
  const reach = (Math.hypot(a.width, a.height) + Math.hypot(b.width, b.height)) / 2;
  const dx = a.cx - b.cx;
  const dy = a.cy - b.cy;
  if (dx * dx + dy * dy > reach * reach) return false;
  const ca = corners(a);
  const cb = corners(b);
  for (const angle of [a.angle, a.angle + Math.PI / 2, b.angle, b.angle + Math.PI / 2]) {
    const dx = Math.cos(angle);
    const dy = Math.sin(angle);
    const pa = ca.map((p) => p.x * dx + p.y * dy);
    const pb = cb.map((p) => p.x * dx + p.y * dy);
    if (Math.max(...pa) < Math.min(...pb) || Math.max(...pb) < Math.min(...pa)) return false;
  }
  return true;
}

export const DEG = Math.PI / 180;
