/**
 * The whole corpus twice in one process, then a good request: the process keeps working and its
 * peak resident memory stays small. The figure is printed for the closing note. Ten 16 MB
 * sources, a gzip bomb and a 30000x30000 PNG are all in there; nothing may buffer them whole.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadImages } from '../../src/inputs/load.js';
import { defaultInputPolicy } from '../../src/inputs/policy.js';
import { corpus, runCase, setupCorpus, type Env } from './corpus.js';
import { safeOptions } from './net.js';

let env: Env;
beforeAll(async () => {
  env = await setupCorpus();
});
afterAll(async () => {
  await env.server.close();
});

it('runs the corpus twice in one process with a bounded peak RSS', async () => {
  const before = process.resourceUsage().maxRSS;
  const started = performance.now();
  for (let round = 1; round <= 2; round++) {
    for (const c of corpus) await runCase(c, env);
  }
  const [img] = await loadImages([`${env.base}/photo/coffee.png`], defaultInputPolicy(), safeOptions());
  expect(img!.width).toBe(600);
  // maxRSS is in kilobytes.
  const peakMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `[memory] corpus of ${corpus.length} cases run twice in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `peak RSS ${peakMb.toFixed(0)} MB (${(before / 1024).toFixed(0)} MB before the corpus)`,
  );
  expect(peakMb).toBeLessThan(1024);
}, 60_000);
