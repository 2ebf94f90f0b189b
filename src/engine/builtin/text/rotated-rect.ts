import type { OrientedBox, Point } from './geometry.js';

/**
 * The smallest rotated rectangle around a set of points (OpenCV's minAreaRect): the convex hull by
 * Andrew's monotone chain, then one candidate rectangle per hull edge (the minimum-area rectangle has a
 * side on the hull, Freeman and Shapira 1975). The box's width runs along the longer side, at an angle
 * in (−90°, 90°]: text detection gives lines, and a line runs along its longer side.
 */
export function minAreaRect(points: readonly Point[]): OrientedBox | undefined {
  const hull = convexHull(points);
  if (hull.length === 0) return undefined;
  if (hull.length < 3) {
    const a = hull[0]!;
    const b = hull[hull.length - 1]!;
    return level({ cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2, width: Math.hypot(b.x - a.x, b.y - a.y), height: 0, angle: Math.atan2(b.y - a.y, b.x - a.x) });
  }
  let best: OrientedBox | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const p = hull[i]!;
    const q = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(q.x - p.x, q.y - p.y);
    if (len === 0) continue;
    const ux = (q.x - p.x) / len;
    const uy = (q.y - p.y) / len;
    let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
    for (const r of hull) {
      const u = r.x * ux + r.y * uy;
      const v = -r.x * uy + r.y * ux;
      if (u < u0) u0 = u;
      if (u > u1) u1 = u;
      if (v < v0) v0 = v;
      if (v > v1) v1 = v;
    }
    const area = (u1 - u0) * (v1 - v0);
    if (area < bestArea) {
      bestArea = area;
      const cu = (u0 + u1) / 2;
      const cv = (v0 + v1) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, width: u1 - u0, height: v1 - v0, angle: Math.atan2(uy, ux) };
    }
  }
  return best && level(best);
}

/** Width along the longer side, angle in (−90°, 90°]. */
function level(box: OrientedBox): OrientedBox {
  let { width, height, angle } = box;
  if (height > width) {
    [width, height] = [height, width];
    angle += Math.PI / 2;
  }
  while (angle <= -Math.PI / 2) angle += Math.PI;
  while (angle > Math.PI / 2) angle -= Math.PI;
  return { ...box, width, height, angle };
}

export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (sorted.length < 3) return sorted;
  const cross = (o: Point, a: Point, b: Point) => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return [...lower, ...upper];
}
