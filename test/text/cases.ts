import type { TextEdit } from '../../src/engine/builtin/text/index.js';
import type { Background, PosterText } from './posters.js';

/**
 * The posters of the replacement tests. Each names the words to replace and what should be read
 * afterwards; `old` is what must no longer be read.
 */
export interface ReplaceCase {
  name: string;
  background: Background;
  width: number;
  height: number;
  texts: PosterText[];
  edits: TextEdit[];
  /** For each replaced text item (index into `texts`): the word now expected there, and the word gone. */
  expect: { text: number; now: string; old: string }[];
}

export const REPLACE_CASES: ReplaceCase[] = [
  {
    name: 'dark on light, flat',
    background: { kind: 'flat', colour: [242, 236, 222] },
    width: 800,
    height: 420,
    texts: [
      { text: 'BIG', x: 150, y: 190, size: 110, colour: [178, 28, 36] },
      { text: 'SALE', x: 400, y: 190, size: 110, colour: [178, 28, 36] },
      { text: 'Open on Monday', x: 400, y: 330, size: 40, weight: 400, colour: [30, 40, 60], align: 'center' },
    ],
    edits: [{ kind: 'replace_text', from: 'SALE', to: 'DEAL' }],
    expect: [{ text: 1, now: 'DEAL', old: 'SALE' }],
  },
  {
    name: 'light on dark, gradient',
    background: { kind: 'gradient', from: [18, 28, 92], to: [118, 36, 58], angle: 25 },
    width: 800,
    height: 400,
    texts: [{ text: 'SUMMER SALE', x: 400, y: 230, size: 90, weight: 900, colour: [250, 214, 110], align: 'center' }],
    edits: [{ kind: 'replace_text', from: 'SALE', to: 'DEAL' }],
    expect: [{ text: 0, now: 'SUMMER DEAL', old: 'SALE' }],
  },
  {
    name: 'serif, rotated +15°, gradient',
    background: { kind: 'gradient', from: [236, 240, 246], to: [196, 210, 228], angle: 90 },
    width: 760,
    height: 480,
    texts: [{ text: 'Grand Opening', x: 380, y: 250, size: 72, kind: 'serif', colour: [32, 52, 96], align: 'center', angle: 15 }],
    edits: [{ kind: 'replace_text', from: 'opening', to: 'closing' }],
    expect: [{ text: 0, now: 'Grand Closing', old: 'Opening' }],
  },
  {
    name: 'light on wood, rotated −15°, photo',
    background: { kind: 'photo', name: 'coffee' },
    width: 800,
    height: 520,
    texts: [{ text: 'FRESH COFFEE', x: 560, y: 440, size: 56, weight: 900, colour: [255, 246, 220], align: 'center', angle: -15 }],
    edits: [{ kind: 'replace_text', from: 'COFFEE', to: 'COCOA' }],
    expect: [{ text: 0, now: 'COCOA', old: 'COFFEE' }],
  },
  {
    name: 'small, 20 px capitals',
    background: { kind: 'gradient', from: [252, 250, 244], to: [226, 232, 222], angle: 0 },
    width: 640,
    height: 240,
    texts: [{ text: 'Open every Monday from 9', x: 320, y: 130, size: 28, weight: 400, colour: [52, 44, 40], align: 'center' }],
    edits: [{ kind: 'replace_text', from: 'Monday', to: 'friday' }],
    expect: [{ text: 0, now: 'Friday', old: 'Monday' }],
  },
  {
    name: 'large, 120 px capitals',
    background: { kind: 'gradient', from: [255, 224, 120], to: [250, 160, 90], angle: 0 },
    width: 960,
    height: 360,
    texts: [{ text: 'SALE', x: 480, y: 240, size: 165, weight: 900, colour: [120, 20, 60], align: 'center' }],
    edits: [{ kind: 'replace_text', from: 'sale', to: 'deal' }],
    expect: [{ text: 0, now: 'DEAL', old: 'SALE' }],
  },
  {
    name: 'two lines on a photo, two replacements',
    background: { kind: 'photo', name: 'clock_motion' },
    width: 600,
    height: 450,
    texts: [
      { text: 'LAST CALL', x: 300, y: 70, size: 54, weight: 900, colour: [250, 250, 250], align: 'center' },
      { text: 'Time is up', x: 300, y: 415, size: 48, weight: 700, colour: [255, 236, 150], align: 'center' },
    ],
    edits: [
      { kind: 'replace_text', from: 'call', to: 'orders' },
      { kind: 'replace_text', from: 'time is up', to: 'doors open' },
    ],
    expect: [
      { text: 0, now: 'LAST ORDERS', old: 'CALL' },
      { text: 1, now: 'Doors open', old: 'Time' },
    ],
  },
];
