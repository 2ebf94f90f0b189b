/**
 * The size mapping of the surfaces: the tables of docs/surfaces.md are what the code does, and the
 * worker resolves "match the input" and exact sizes as the model's output_size says.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dreaminaEdit } from '../../src/models/dreamina-4-0-edit.js';
import { outputSizeProblem, parseOutputSize, resolveOutputSize } from '../../src/models/output-size.js';
import { falImageSize, listedChoice, openaiSize, replicateSize, RATIOS, tierSize, type SizeMapping, type Tier } from '../../src/api/surfaces/shared/sizes.js';
import type { SourceImage } from '../../src/inputs/types.js';
import { ROOT } from '../helpers/paths.js';

const DOC = fs.readFileSync(path.join(ROOT, 'docs/surfaces.md'), 'utf8');

/** The rows of the markdown table that follows `heading` (a line of text just above it). */
function table(heading: string): string[][] {
  const start = DOC.indexOf(heading);
  expect(start, heading).toBeGreaterThan(-1);
  const lines = DOC.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const image = (width: number, height: number): SourceImage => ({ index: 0, data: Buffer.alloc(0), format: 'png', width, height });

describe('docs/surfaces.md', () => {
  it('lists every tier size as the code makes it, the model\'s own sizes in bold', () => {
    const rows = table("Replicate's `size` × `aspect_ratio`");
    expect(rows.map((r) => r[0])).toEqual([...RATIOS]);
    for (const [ratio, ...cells] of rows) {
      (['1K', '2K', '4K'] as Tier[]).forEach((tier, i) => {
        const size = tierSize(tier, ratio as (typeof RATIOS)[number]);
        const text = `${size.width}x${size.height}`;
        expect(cells[i], `${tier} ${ratio}`).toBe(listedChoice(size) ? `**${text}**` : text);
        // And Replicate asks for exactly that.
        const mapped = replicateSize({ size: tier, aspect_ratio: ratio });
        expect(mapped.outputSize ?? mapped.choice.split('(')[0]).toBe(text);
      });
    }
  });

  it('lists fal\'s presets as the code maps them', () => {
    const rows = table("fal's `image_size`").filter((r) => /^`[a-z_0-9]+`$/.test(r[0]!));
    expect(rows.length).toBe(6);
    for (const [preset, made] of rows) {
      const mapped = falImageSize(preset!.replace(/`/g, ''));
      if ('problem' in mapped) throw new Error(mapped.problem);
      expect(made, preset).toBe(mapped.outputSize ?? `**${mapped.choice.split('(')[0]}**`);
    }
  });
});

describe('surface sizes', () => {
  it('keeps a listed size as the model\'s choice, and an unlisted one exact', () => {
    expect(replicateSize({ size: '2K', aspect_ratio: '16:9' })).toEqual({ choice: '2560x1440(16:9)' });
    expect(replicateSize({ size: 'custom', width: 2304, height: 1728 })).toEqual({ choice: '2304x1728(4:3)' });
    expect(replicateSize({ size: 'custom', width: 1500, height: 3000 })).toMatchObject({ outputSize: '1500x3000' });
    expect(openaiSize('1024x1024')).toEqual({ choice: '1024x1024(1:1)' });
    expect(openaiSize('1024x1536')).toMatchObject({ outputSize: '1024x1536' });
    expect(falImageSize({ width: 640, height: 360 })).toMatchObject({ outputSize: '1280x720' });
  });

  it('refuses sizes the engine will not make', () => {
    expect(openaiSize('8192x8192')).toMatchObject({ problem: expect.stringContaining('16777216') });
    expect(openaiSize('4096x200')).toMatchObject({ problem: expect.stringContaining('aspect ratio') });
    expect(openaiSize('big')).toMatchObject({ problem: expect.any(String) });
    expect(falImageSize({ width: 14142, height: 14142 })).toMatchObject({ problem: expect.any(String) });
    expect(outputSizeProblem({ width: 32, height: 32 })).toContain('at least 64');
  });

  it('leaves "match the input" to the worker, which picks the candidate nearest the first image', () => {
    const match = replicateSize({ size: '2K' });
    expect(match.choice).toBe('2048x2048(1:1)');
    const candidates = parseOutputSize(match.outputSize!);
    expect(candidates).toHaveLength(RATIOS.length);
    expect(resolveOutputSize(match.outputSize!, [image(600, 400)])).toEqual({ width: 2496, height: 1664 });
    expect(resolveOutputSize(match.outputSize!, [image(300, 451)])).toEqual({ width: 1664, height: 2496 });
    expect(resolveOutputSize(match.outputSize!, [image(512, 512)])).toEqual({ width: 2048, height: 2048 });
    expect(resolveOutputSize((openaiSize('auto') as SizeMapping).outputSize!, [image(400, 300)])).toEqual({ width: 1536, height: 1024 });
  });

  it('makes the model\'s edit request at the output_size, and at width×height without one', () => {
    const base = { image_urls: ['x'], prompt: 'p', 'width×height': '1024x1024(1:1)' as const };
    expect(dreaminaEdit.toEditRequest(base, [image(400, 300)])).toMatchObject({ width: 1024, height: 1024 });
    expect(dreaminaEdit.toEditRequest({ ...base, output_size: '1536x1024' } as never, [image(400, 300)])).toMatchObject({ width: 1536, height: 1024 });
    expect(() => dreaminaEdit.toEditRequest({ ...base, output_size: '1x1' } as never, [])).toThrow();
  });
});
