#!/usr/bin/env node
// Subject segmentation on this machine: model load, one pass per model variant and input size (with
// the subject-mask IoU on synthetic scenes of known truth), the guided filter at 2048² and 4096², and
// peak memory. Each configuration runs in its own process so its peak RSS is its own.
//
//   npm run build && node scripts/bench-segment.mjs            # the table
//   node scripts/bench-segment.mjs --only small:512,small:1024 # some rows
//
// Reads the compiled engine from dist/ (or SEGMENT_MODULE=<path to segment/index.js>).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PHOTOS = path.join(ROOT, 'test/fixtures/photos');
const MODULE = process.env.SEGMENT_MODULE ?? path.join(ROOT, 'dist/engine/builtin/segment/index.js');
const RUNS = Number(process.env.RUNS ?? 5);
const CONFIGS = ['small:384', 'small:512', 'small:640', 'small:768', 'small:1024', 'medium:512', 'medium:1024'];

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const mb = (bytes) => Math.round(bytes / 1e6);

async function rgb(file, width, height) {
  return sharp(path.join(PHOTOS, file)).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'cover' }).raw().toBuffer();
}

/** A shape filled with one photo on a texture of another; the truth is the shape (as in test/segment). */
async function scene(subject, background, shapeSvg, width, height) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%"/><g fill="white">${shapeSvg}</g></svg>`;
  const truth = await sharp(Buffer.from(svg)).toColourspace('b-w').raw().toBuffer();
  const [fg, bg] = await Promise.all([rgb(subject, width, height), rgb(background, width, height)]);
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < truth.length; i++) {
    const a = truth[i];
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round((bg[i * 3 + c] * (255 - a) + fg[i * 3 + c] * a) / 255);
  }
  return { image: { data, width, height, channels: 3 }, truth };
}

function iou(mask, truth) {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < truth.length; i++) {
    const m = mask[i] >= 128;
    const t = truth[i] >= 128;
    inter += m && t ? 1 : 0;
    union += m || t ? 1 : 0;
  }
  return inter / union;
}

/** One configuration, in this process: prints one JSON line. */
async function measure(config) {
  const { Segmenter } = await import(pathToFileURL(MODULE).href);
  const [variant, sizeText] = config.split(':');
  const inputSize = Number(sizeText);
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const segmenter = await Segmenter.load({ variant, inputSize });
  const load = performance.now() - started;
  const rssLoaded = process.memoryUsage().rss;
  const peakLoaded = process.resourceUsage().maxRSS * 1e3;

  const W = 2048, H = 1536, s = 2;
  const scenes = await Promise.all([
    scene('astronaut.png', 'grass.png', `<ellipse cx="${512 * s}" cy="${384 * s}" rx="${250 * s}" ry="${300 * s}"/>`, W, H),
    scene('chelsea.png', 'brick.png', `<rect x="${260 * s}" y="${170 * s}" width="${520 * s}" height="${420 * s}" rx="${60 * s}"/>`, W, H),
    scene('coffee.png', 'brick.png', `<circle cx="${380 * s}" cy="${420 * s}" r="${230 * s}"/>`, W, H),
  ]);
  const ious = [];
  const model = [];
  const refine = [];
  for (let run = 0; run < RUNS; run++) {
    for (const [k, { image, truth }] of scenes.entries()) {
      const mask = await segmenter.segment(image);
      if (run === 0) ious[k] = iou(mask.data, truth);
      model.push(mask.timings.model);
      refine.push(mask.timings.refine);
    }
  }
  const row = {
    config,
    loadMs: Math.round(load),
    readMs: Math.round(segmenter.loadMs.read),
    sessionMs: Math.round(segmenter.loadMs.session),
    modelMs: Math.round(median(model)),
    modelMinMs: Math.round(Math.min(...model)),
    refine2048x1536Ms: Math.round(median(refine)),
    iou: ious.map((v) => Number(v.toFixed(4))),
    rssBeforeMB: mb(rssBefore),
    rssLoadedMB: mb(rssLoaded),
    peakRssAfterLoadMB: mb(peakLoaded),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1e3),
  };
  if (config === 'small:512') {
    // The guided filter alone, on a real mask: 2048² and 4096² outputs. Single-threaded, so its CPU
    // time is also reported (wall time on a shared box includes other people's work).
    const { guidedUpsample } = await import(pathToFileURL(MODULE).href);
    for (const side of [2048, 4096]) {
      const data = await rgb('astronaut.png', side, side);
      const small = await sharp(data, { raw: { width: side, height: side, channels: 3 } }).resize(inputSize, inputSize, { fit: 'fill' }).raw().toBuffer();
      const lowMask = await segmenter.segment({ data: small, width: inputSize, height: inputSize, channels: 3 });
      const low = { rgb: small, mask: Float32Array.from(lowMask.data, (v) => v / 255), width: inputSize, height: inputSize };
      const wall = [];
      const cpu = [];
      for (let run = 0; run < RUNS; run++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        guidedUpsample(low, { data, width: side, height: side, channels: 3 }, { radius: 4, eps: 1e-3, levels: [0.06, 0.94] });
        wall.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      row[`guided${side}Ms`] = { min: Math.round(Math.min(...wall)), median: Math.round(median(wall)), cpuMin: Math.round(Math.min(...cpu)) };
    }
    row.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1e3);
  }
  await segmenter.close();
  console.log(JSON.stringify(row));
}

const args = process.argv.slice(2);
if (args[0] === '--config') {
  await measure(args[1]);
} else {
  const only = args[0] === '--only' ? args[1].split(',') : CONFIGS;
  console.log(`segmentation bench: ${RUNS} runs per scene, 3 scenes of 2048x1536, node ${process.version}`);
  for (const config of only) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--config', config], { encoding: 'utf8', env: process.env });
    if (child.status !== 0) {
      console.log(config, 'failed:', child.stderr.trim().split('\n').slice(-3).join(' | '));
      continue;
    }
    console.log(child.stdout.trim());
  }
}
