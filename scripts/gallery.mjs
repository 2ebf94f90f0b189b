#!/usr/bin/env node
// `npm run gallery`: runs representative requests through the built-in engine on the sample photos and
// writes docs/gallery/index.html with inputs and outputs side by side (small JPEG thumbnails, so the
// committed gallery stays under 2 MB). Look at it after changing the engine.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { BuiltinEngine } from '../dist/engine/builtin/index.js';
import { createLogger } from '../dist/log.js';
import { CASES } from './gallery-cases.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PHOTOS = path.join(ROOT, 'test/fixtures/photos');
const OUT = path.join(ROOT, 'docs/gallery');
const THUMB = 420;

const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

async function thumb(data, name) {
  // A checkerboard under transparent outputs, as image editors show them.
  const image = sharp(data).resize(THUMB, THUMB, { fit: 'inside' });
  const { info } = await sharp(data).metadata().then((m) => ({ info: m }));
  let pipeline = image;
  if (info.hasAlpha) {
    const small = await image.png().toBuffer({ resolveWithObject: true });
    const { width, height } = small.info;
    const tile = 12;
    const cells = [];
    for (let y = 0; y < height; y += tile) for (let x = 0; x < width; x += tile) if (((x + y) / tile) % 2 === 0) cells.push(`<rect x="${x}" y="${y}" width="${tile}" height="${tile}"/>`);
    const board = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/><g fill="#ddd">${cells.join('')}</g></svg>`);
    pipeline = sharp(board).composite([{ input: small.data }]);
  }
  await pipeline.jpeg({ quality: 72, mozjpeg: true }).toFile(path.join(OUT, 'img', name));
  return `img/${name}`;
}

async function main() {
  fs.rmSync(path.join(OUT, 'img'), { recursive: true, force: true });
  fs.mkdirSync(path.join(OUT, 'img'), { recursive: true });
  const engine = new BuiltinEngine();
  const log = createLogger('silent');
  const rows = [];
  for (const [n, c] of CASES.entries()) {
    const inputs = await Promise.all(c.inputs.map((i) => (typeof i === 'string' ? fs.promises.readFile(path.join(PHOTOS, i)) : i())));
    const [width, height] = c.size.split('(')[0].split('x').map(Number);
    const started = performance.now();
    const result = await engine.run(
      { images: inputs.map((data, index) => ({ index, data, format: 'png', width: 0, height: 0 })), prompt: c.prompt, width, height, scale: c.scale ?? 0.5, forceSingle: false },
      { signal: new AbortController().signal, progress: () => {}, log },
    );
    const ms = Math.round(performance.now() - started);
    const ins = await Promise.all(inputs.map((d, i) => thumb(d, `${n}-in-${i}.jpg`)));
    const outs = await Promise.all(result.images.slice(0, 4).map((o, i) => thumb(o.data, `${n}-out-${i}.jpg`)));
    rows.push({ c, ins, outs, result, ms });
    console.log(`${String(n + 1).padStart(2)}. ${c.title}: ${result.images.length} image(s), ${ms} ms`);
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>retouch built-in engine: gallery</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1400px;padding:0 1rem;color:#222}
h1{font-size:1.4rem} .case{border-top:1px solid #ddd;padding:1rem 0}
.case h2{font-size:1.05rem;margin:.2rem 0} code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}
.row{display:flex;gap:1.2rem;align-items:flex-start;flex-wrap:wrap} figure{margin:0} figcaption{font-size:.8rem;color:#666}
img{max-width:${THUMB}px;height:auto;border:1px solid #ccc;display:block} .arrow{font-size:2rem;align-self:center;color:#888}
ul{margin:.3rem 0 0 1rem;padding:0;font-size:.85rem;color:#444}
</style></head><body>
<h1>retouch built-in engine: gallery</h1>
<p>Made by <code>npm run gallery</code> from the sample photos in <code>test/fixtures/photos/</code>. Each case is one request to the built-in engine; the thumbnails are scaled down from the real outputs.</p>
${rows
  .map(
    ({ c, ins, outs, result, ms }) => `<section class="case"><h2>${escape(c.title)}</h2>
<p>prompt <code>${escape(c.prompt)}</code>, size <code>${escape(c.size)}</code>, scale <code>${c.scale ?? 0.5}</code> · ${result.images.length} output(s) · ${ms} ms</p>
<div class="row">${ins.map((src, i) => `<figure><img src="${src}" alt="input ${i + 1}"><figcaption>image ${i + 1}</figcaption></figure>`).join('')}
<span class="arrow">→</span>${outs.map((src, i) => `<figure><img src="${src}" alt="output ${i + 1}"><figcaption>output ${i + 1} (${result.images[i].width}x${result.images[i].height} ${result.images[i].format})</figcaption></figure>`).join('')}</div>
<ul>${result.edits.map((e) => `<li>applied <b>${escape(e.kind)}</b>${e.text ? ` from “${escape(e.text)}”` : ''}${e.params?.reason ? `: ${escape(String(e.params.reason))}` : ''}</li>`).join('')}${result.warnings.map((w) => `<li>warning: ${escape(w)}</li>`).join('')}</ul>
</section>`,
  )
  .join('\n')}
</body></html>
`;
  fs.writeFileSync(path.join(OUT, 'index.html'), html);
  await engine.close();
  const bytes = fs.readdirSync(path.join(OUT, 'img')).reduce((s, f) => s + fs.statSync(path.join(OUT, 'img', f)).size, 0);
  console.log(`docs/gallery: ${rows.length} cases, ${(bytes / 1024).toFixed(0)} KB of thumbnails`);
  process.exit(0);
}

main();
