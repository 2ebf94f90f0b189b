// Text replacement on a 2048x2048 poster, OCR to the final raster, with the time per phase.
// Run: npx tsx scripts/bench-text.mjs [runs]        (speed)
//      npx tsx scripts/bench-text.mjs --quality       (what was measured on the test posters)
// The OCR networks are loaded first (warmUpText), as a server does on its first text edit, and each scene runs
// once unmeasured (JIT warm-up); each measured run then reads the image, measures, erases and writes.
// Prints the median of the runs and each phase's median. The machine is shared: medians, not means.
import { applyTextEdits, stopText, warmUpText } from '../src/engine/builtin/text/index.ts';
import { makePoster } from '../test/text/posters.ts';

const quality = process.argv.includes('--quality');
const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5);

const SCENES = [
  {
    name: 'level headline and a small line on a photo',
    background: { kind: 'photo', name: 'clock_motion' },
    texts: [
      { text: 'SUMMER SALE', x: 1024, y: 330, size: 200, weight: 900, colour: [250, 250, 250], align: 'center' },
      { text: 'Every Monday from 9 to 5', x: 1024, y: 1900, size: 64, weight: 400, colour: [255, 236, 150], align: 'center' },
    ],
    edits: [
      { kind: 'replace_text', from: 'SALE', to: 'DEALS' },
      { kind: 'replace_text', from: 'monday', to: 'friday' },
    ],
  },
  {
    name: 'caption on wood, level (texture copied into the erased area)',
    background: { kind: 'photo', name: 'coffee' },
    texts: [{ text: 'FRESH COFFEE', x: 1024, y: 1950, size: 150, weight: 900, colour: [255, 246, 220], align: 'center' }],
    edits: [{ kind: 'replace_text', from: 'COFFEE', to: 'COCOA' }],
  },
  {
    name: 'sign on a brick wall (texture copied into the erased area)',
    background: { kind: 'photo', name: 'brick' },
    texts: [{ text: 'NO PARKING', x: 1024, y: 1100, size: 230, weight: 900, colour: [15, 15, 15], align: 'center' }],
    edits: [{ kind: 'replace_text', from: 'PARKING', to: 'ENTRY' }],
  },
  {
    name: 'serif turned +15° on a gradient',
    background: { kind: 'gradient', from: [236, 240, 246], to: [196, 210, 228], angle: 90 },
    texts: [{ text: 'Grand Opening', x: 1024, y: 1100, size: 190, kind: 'serif', weight: 700, colour: [32, 52, 96], align: 'center', angle: 15 }],
    edits: [{ kind: 'replace_text', from: 'opening', to: 'closing' }],
  },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (quality) {
  await qualityReport();
  await stopText();
  process.exit(0);
}

const warm = performance.now();
await warmUpText();
console.log(`warm-up (networks and fonts): ${(performance.now() - warm).toFixed(0)} ms`);

for (const scene of SCENES) {
  const poster = await makePoster(scene.background, 2048, 2048, scene.texts);
  const totals = [];
  const phases = {};
  let outcomes;
  await applyTextEdits(poster.image, scene.edits); // JIT warm-up, as in a running server
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = await applyTextEdits(poster.image, scene.edits);
    totals.push(performance.now() - started);
    for (const [k, v] of Object.entries(result.timings)) (phases[k] ??= []).push(v);
    outcomes = result.outcomes;
  }
  console.log(`\n${scene.name}: median ${median(totals).toFixed(0)} ms over ${runs} runs (min ${Math.min(...totals).toFixed(0)})`);
  for (const [k, v] of Object.entries(phases)) console.log(`  ${k.padEnd(8)} ${k === 'passes' ? median(v) : `${median(v).toFixed(0)} ms`}`);
  console.log(`  outcomes ${JSON.stringify(outcomes.map((o) => ({ applied: o.applied, warning: o.warning })))}`);
}
await stopText();

/**
 * For each replacement poster of the tests: the face chosen, the size and angle measured against the
 * ones drawn, the ink colour's CIEDE2000 difference (estimated, and as written); and the erase error of
 * the removal posters (mean absolute difference, levels, over the drawn ink grown by 2 px).
 */
async function qualityReport() {
  const { REPLACE_CASES } = await import('../test/text/cases.ts');
  const { deltaE2000, grow, inkColour, meanError, boxMask } = await import('../test/text/measure.ts');
  const { findPhrases } = await import('../src/engine/builtin/text/find.ts');
  const { analyseGlyphs } = await import('../src/engine/builtin/text/mask.ts');
  const { matchFaces } = await import('../src/engine/builtin/text/style.ts');
  await warmUpText();
  console.log('case | text | face chosen (drawn) | size measured/drawn | angle measured (drawn) | ΔE00 estimate | ΔE00 written');
  for (const c of REPLACE_CASES) {
    const poster = await makePoster(c.background, c.width, c.height, c.texts);
    const result = await applyTextEdits(poster.image, c.edits);
    for (const [k, edit] of c.edits.entries()) {
      const drawn = poster.texts[c.expect[k].text];
      const search = await findPhrases(poster.image, [edit.from]);
      const found = search.found[0][0];
      if (!found) {
        console.log(`${c.name} | ${edit.from} | not found`);
        continue;
      }
      const g = analyseGlyphs(poster.image, found.box, []);
      if (!g.ok) {
        console.log(`${c.name} | ${edit.from} | ${g.reason}`);
        continue;
      }
      const best = matchFaces(g.glyphs.upright, g.glyphs.ink, found.match.read)[0];
      const written = result.outcomes[k].written?.[0];
      const after = written ? inkColour(result.image, poster.background, boxMask(written, c.width, c.height, 1)) : [0, 0, 0];
      console.log(
        [
          c.name,
          edit.from,
          `${best.face.kind} ${best.face.weight} (${drawn.kind ?? 'sans'} ${drawn.weight ?? 700})`,
          (best.size / drawn.size).toFixed(3),
          `${((g.glyphs.frame.angle * 180) / Math.PI).toFixed(2)}° (${drawn.angle ?? 0}°)`,
          deltaE2000(g.glyphs.colour, drawn.colour).toFixed(2),
          deltaE2000(after, drawn.colour).toFixed(2),
        ].join(' | '),
      );
    }
  }
  const removals = [
    ['flat', { kind: 'flat', colour: [214, 230, 240] }, { text: 'CLOSED TODAY', x: 320, y: 190, size: 70, weight: 900, colour: [20, 60, 120], align: 'center' }, 'closed today'],
    ['linear gradient', { kind: 'gradient', from: [30, 20, 60], to: [110, 40, 90], angle: 0 }, { text: 'Limited offer', x: 360, y: 180, size: 80, weight: 700, colour: [255, 240, 200], align: 'center' }, 'Limited offer'],
    ['diagonal gradient, −15°', { kind: 'gradient', from: [250, 246, 230], to: [200, 216, 190], angle: 40 }, { text: 'Handmade', x: 360, y: 260, size: 96, kind: 'serif', weight: 700, colour: [90, 40, 20], align: 'center', angle: -15 }, 'handmade'],
  ];
  console.log('\nerase | mean abs error (levels) over the ink grown by 2 px');
  for (const [name, bg, text, phrase] of removals) {
    const poster = await makePoster(bg, 720, 460, [text]);
    const { image } = await applyTextEdits(poster.image, [{ kind: 'remove_text', text: phrase }]);
    console.log(`${name} | ${meanError(image, poster.background, grow(poster.texts[0].mask, 720, 460, 2)).toFixed(2)}`);
  }
}
