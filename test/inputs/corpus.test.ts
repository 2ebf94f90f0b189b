/**
 * The malicious corpus (corpus.ts), one named test per case. Each asserts the reason, the index
 * and the words of the refusal; the address cases also assert that nothing was dialled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('malicious corpus', () => {
  it('has at least 30 named cases, all distinct', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  for (const c of corpus) {
    it(c.name, async () => {
      const { error, ms } = await runCase(c, env);
      // The outcome, for the record (the closing note lists them).
      console.log(`[corpus] ${c.name} -> ${error.reason} in ${ms.toFixed(0)} ms: ${error.message}`);
    });
  }

  it('still serves good images after the whole corpus', async () => {
    const images = await loadImages([`${env.base}/photo/chelsea.png`], defaultInputPolicy(), safeOptions());
    expect(images[0]).toMatchObject({ index: 0, format: 'png', width: 451, height: 300 });
  });
});
