// Engine benchmarks for `npm run bench`: each engine figure next to the sum of its unavoidable parts,
// measured in the same process (a plain sharp pipeline doing the same image work, plus one
// segmentation pass where the edit needs one). Run from the built dist/.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { BuiltinEngine } from '../dist/engine/builtin/index.js';
import { Segmenter } from '../dist/engine/builtin/segment/index.js';
import { createLogger } from '../dist/log.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PHOTO = (name) => path.join(ROOT, 'test/fixtures/photos', name);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const ctx = () => ({ signal: new AbortController().signal, progress: () => {}, log: createLogger('silent') });
const image = (data, index) => ({ index, data, format: 'jpeg', width: 0, height: 0 });

/** Median wall time of `fn` over RUNS runs, after one warm-up. */
async function median(fn) {
  await fn();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Several measured functions taken in turns, round after round (after one warm-up round), so that each
 * sees the same load: on a machine shared with other work, medians of separate series drift apart by
 * more than the difference being measured. Returns each one's median, and the median of the rounds'
 * ratios of the first to the sum of the others.
 */
async function interleaved(fns, rounds = RUNS) {
  for (const fn of fns) await fn();
  const times = fns.map(() => []);
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const round = [];
    for (const [k, fn] of fns.entries()) {
      const t = performance.now();
      await fn();
      round.push(performance.now() - t);
      times[k].push(round[k]);
    }
    ratios.push(round[0] / round.slice(1).reduce((a, b) => a + b, 0));
  }
  return { medians: times.map(mid), ratio: mid(ratios) };
}

/** ~2K JPEGs made from the sample photos, as a client would send (square, so the fit is a plain resize). */
export async function inputs() {
  const scene = await sharp(PHOTO('coffee.png')).resize(2048, 2048, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();
  const person = await sharp(PHOTO('astronaut.png')).resize(2048, 2048).jpeg({ quality: 90 }).toBuffer();
  return { scene, person };
}

export async function engineBenchmarks() {
  const engine = new BuiltinEngine();
  const { scene, person } = await inputs();
  const seg = await Segmenter.shared();
  const out = {};

  // 1. One-image tone edits, against decode → resize → encode with sharp alone.
  const tone = await median(() => engine.run({ images: [image(scene, 0)], prompt: 'make it brighter, warmer and more vivid', width: 2048, height: 2048, scale: 0.5, forceSingle: true }, ctx()));
  const plainTone = await median(async () => {
    await sharp(scene).resize(2048, 2048, { fit: 'cover' }).modulate({ brightness: 1.1, saturation: 1.2 }).jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer();
  });
  out.tone = { engine: tone, baseline: plainTone };

  // 2. Two-reference fusion, against a plain sharp composite plus one segmentation pass, taken in turns.
  const { data, info } = await sharp(person).raw().toBuffer({ resolveWithObject: true });
  const fused = await interleaved([
    () => engine.run({ images: [image(scene, 0), image(person, 1)], prompt: 'put the person from image 2 into image 1', width: 2048, height: 2048, scale: 0.5, forceSingle: true }, ctx()),
    async () => {
      const [bg, fg] = await Promise.all([
        sharp(scene).resize(2048, 2048, { fit: 'cover' }).toBuffer(),
        sharp(person).resize(1100, 1100).ensureAlpha().png({ compressionLevel: 0 }).toBuffer(),
      ]);
      await sharp(bg).composite([{ input: fg, left: 474, top: 948 }]).jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer();
    },
    () => seg.segment({ data, width: info.width, height: info.height, channels: info.channels }),
  ]);
  const [fusion, plainComposite, segmentation] = fused.medians;
  out.fusion = { engine: fusion, baseline: plainComposite + segmentation, composite: plainComposite, segmentation, ratio: fused.ratio };

  // 3. Text replacement in a 2048x2048 image, OCR to encoded output (aim: 1.5 s or less).
  const { poster } = await import('../scripts/gallery-cases.mjs');
  const sign = await poster('#f4eee2,#d6e0ec', 2048, 2048, [
    ['BIG SALE', 1024, 800, 220, '#b01e28', { weight: 900, align: 'center' }],
    ['Open every Monday', 1024, 1300, 110, '#1e283c', { weight: 400, align: 'center' }],
  ])();
  const texts = [];
  const replace = await median(async () => {
    const r = await engine.run({ images: [image(sign, 0)], prompt: 'replace "SALE" with "DEAL" and Monday with Friday', width: 2048, height: 2048, scale: 0.5, forceSingle: true }, ctx());
    texts.push(r.edits.filter((e) => e.kind === 'replace_text').length);
  });
  out.text = { ms: replace, replaced: Math.min(...texts) };

  // 4. Ten references (the seed's maximum): nine different subjects placed into the first.
  const others = await Promise.all(
    ['astronaut.png', 'chelsea.png', 'horse.png', 'coffee.png', 'astronaut.png', 'chelsea.png', 'horse.png', 'coffee.png', 'astronaut.png'].map((name, i) =>
      sharp(PHOTO(name)).flatten({ background: '#ffffff' }).resize(1600 + 40 * i, 1600, { fit: 'cover' }).flop(i % 2 === 1).jpeg({ quality: 90 }).toBuffer(),
    ),
  );
  const ten = [scene, ...others].map(image);
  const t = performance.now();
  const result = await engine.run({ images: ten, prompt: 'put everyone from the other images into image 1', width: 2048, height: 2048, scale: 0.5, forceSingle: true }, ctx());
  out.ten = { ms: performance.now() - t, placed: result.edits.filter((e) => e.kind === 'place').length };
  await engine.close();
  return out;
}

/** Peak resident memory of a fresh process running two 6198x2656 requests at a time, model loaded. */
export function peakMemory() {
  const script = `
    import sharp from 'sharp';
    import { BuiltinEngine } from ${JSON.stringify(path.join(ROOT, 'dist/engine/builtin/index.js'))};
    import { createLogger } from ${JSON.stringify(path.join(ROOT, 'dist/log.js'))};
    import { inputs } from ${JSON.stringify(path.join(ROOT, 'bench/engine.mjs'))};
    sharp.concurrency(2);
    const engine = new BuiltinEngine();
    const { scene, person } = await inputs();
    const ctx = () => ({ signal: new AbortController().signal, progress: () => {}, log: createLogger('silent') });
    const img = (data, index) => ({ index, data, format: 'jpeg', width: 0, height: 0 });
    const req = (images, prompt) => engine.run({ images, prompt, width: 6198, height: 2656, scale: 0.5, forceSingle: true }, ctx());
    for (let i = 0; i < 3; i++) {
      await Promise.all([req([img(scene, 0), img(person, 1)], 'put the person from image 2 into image 1'), req([img(person, 0)], 'blur the background and make it warmer')]);
    }
    console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)).maxRssKb / 1024;
}
