import { describe, expect, it } from 'vitest';
import { imagesAsked } from '../../src/engine/image-count.js';

const refs = (n: number) => Array.from({ length: n }, (_, index) => ({ index, data: Buffer.alloc(0), format: 'png' as const, width: 1, height: 1 }));

describe('images asked', () => {
  it('counts as the built-in engine does: one by default, what the prompt says, one with force_single, at most 15 minus the references', () => {
    expect(imagesAsked({ prompt: 'make it brighter', images: refs(1), forceSingle: false })).toBe(1);
    expect(imagesAsked({ prompt: 'give me three variations of the cat', images: refs(2), forceSingle: false })).toBe(3);
    expect(imagesAsked({ prompt: 'give me three variations of the cat', images: refs(2), forceSingle: true })).toBe(1);
    expect(imagesAsked({ prompt: 'a set of 12 pictures', images: refs(10), forceSingle: false })).toBe(5);
  });
});
