/** Colour words for backgrounds: CSS names (British and American spellings), a few shades, and hex. */
import { alternatives, f } from './pattern.js';
import type { HexColour } from './types.js';

const NAMED: Record<string, string> = {
  white: '#ffffff', black: '#000000', red: '#ff0000', green: '#008000', blue: '#0000ff', yellow: '#ffff00',
  orange: '#ffa500', purple: '#800080', pink: '#ffc0cb', grey: '#808080', gray: '#808080', brown: '#a52a2a',
  beige: '#f5f5dc', cream: '#fffdd0', navy: '#000080', teal: '#008080', turquoise: '#40e0d0', cyan: '#00ffff',
  magenta: '#ff00ff', gold: '#ffd700', golden: '#ffd700', silver: '#c0c0c0', lavender: '#e6e6fa',
  mint: '#98ff98', maroon: '#800000', olive: '#808000', ivory: '#fffff0', charcoal: '#36454f', coral: '#ff7f50',
  peach: '#ffdab9', tan: '#d2b48c', violet: '#ee82ee', indigo: '#4b0082', lime: '#00ff00', aqua: '#00ffff',
  khaki: '#f0e68c', salmon: '#fa8072', crimson: '#dc143c', burgundy: '#800020', 'off-white': '#faf9f6',
  'off white': '#faf9f6', 'sky blue': '#87ceeb', 'light blue': '#add8e6', 'dark blue': '#00008b',
  'navy blue': '#000080', 'royal blue': '#4169e1', 'baby blue': '#89cff0', 'light grey': '#d3d3d3',
  'light gray': '#d3d3d3', 'dark grey': '#404040', 'dark gray': '#404040', 'light green': '#90ee90',
  'dark green': '#006400', 'hot pink': '#ff69b4', 'light pink': '#ffb6c1', 'pale blue': '#afeeee',
  'pastel blue': '#aec6cf', 'pastel pink': '#ffd1dc', 'dark red': '#8b0000', 'forest green': '#228b22',
};

/** A colour word or hex code; "black and white" is a look, never the colour black. */
export const COLOUR = f`(?:(?!black[\s-]*(?:and|&|n)[\s-]*white)(?:${alternatives(Object.keys(NAMED).map((n) => n.replace(/ /g, '[\\s-]+')))})|#[0-9a-f]{6}(?![0-9a-f])|#[0-9a-f]{3}(?![0-9a-f]))`;

export function parseColour(text: string): HexColour | undefined {
  const t = text.trim().toLowerCase().replace(/[\s-]+/g, ' ');
  if (/^#[0-9a-f]{6}$/.test(t)) return t as HexColour;
  if (/^#[0-9a-f]{3}$/.test(t)) return `#${[...t.slice(1)].map((c) => c + c).join('')}`;
  const hex = NAMED[t] ?? NAMED[t.replace(' ', '-')];
  return hex as HexColour | undefined;
}
