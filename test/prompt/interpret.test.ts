import { describe, expect, it } from 'vitest';
import {
  describeUnused,
  interpretPrompt,
  type EditKind,
  type Plan,
  type UnusedReason,
} from '../../src/engine/builtin/prompt/index.js';

/** An expected edit: its kind, the parameters that matter (a subset), and the prompt text it came from
 * (null: a default placement, no span; omitted: not checked). */
type Expected = [kind: EditKind, params?: Record<string, unknown>, text?: string | null];

interface Case {
  prompt: string;
  /** Reference images; 1 unless said. */
  images?: number;
  forceSingle?: boolean;
  inputCount?: number;
  edits?: Expected[];
  unused?: [UnusedReason, string][];
  count?: number;
  scene?: number;
}

const cases: Case[] = [
  // ── Brightness and exposure ──────────────────────────────────────────────────────────────────────
  { prompt: 'make it brighter', edits: [['brightness', { amount: 1 }, 'brighter']] },
  { prompt: 'Make it slightly brighter', edits: [['brightness', { amount: 0.5 }, 'slightly brighter']] },
  { prompt: 'much brighter please', edits: [['brightness', { amount: 2 }, 'much brighter']] },
  { prompt: 'lighten it up a little', edits: [['brightness', { amount: 0.5 }, 'lighten it up a little']] },
  { prompt: 'more light', edits: [['brightness', { amount: 1 }, 'more light']] },
  { prompt: 'darker by 20%', edits: [['brightness', { amount: -1.333 }, 'darker by 20%']] },
  { prompt: 'Make it twenty percent brighter', edits: [['brightness', { amount: 1.333 }, 'twenty percent brighter']] },
  { prompt: 'make it a lot darker', edits: [['brightness', { amount: -2 }, 'a lot darker']] },
  { prompt: 'less bright', edits: [['brightness', { amount: -1 }, 'less bright']] },
  { prompt: "it's way too dark", edits: [['brightness', { amount: 2 }, 'way too dark']] },
  { prompt: 'The photo looks a bit dark', edits: [['brightness', { amount: 0.5 }, 'a bit dark']] },
  { prompt: 'brighten the image by 30%', edits: [['brightness', { amount: 2 }, 'brighten the image by 30%']] },
  { prompt: 'increase the exposure by 2 stops', edits: [['exposure', { amount: 2 }]] },
  { prompt: '+1 EV', edits: [['exposure', { amount: 1 }, '+1 EV']] },
  { prompt: 'make it 2 stops darker', edits: [['exposure', { amount: -2 }, '2 stops darker']] },
  { prompt: 'it looks underexposed', edits: [['exposure', { amount: 0.5 }, 'underexposed']] },
  { prompt: 'bump the exposure up by half a stop', edits: [['exposure', { amount: 0.5 }]] },

  // ── Contrast, saturation, warmth, tint ───────────────────────────────────────────────────────────
  { prompt: 'more contrast', edits: [['contrast', { amount: 1 }, 'more contrast']] },
  { prompt: 'add some punch', edits: [['contrast', { amount: 1 }]] },
  { prompt: 'lower the contrast a bit', edits: [['contrast', { amount: -0.5 }, 'lower the contrast a bit']] },
  {
    prompt: 'brightness +20, contrast -10',
    edits: [['brightness', { amount: 1.333 }, 'brightness +20'], ['contrast', { amount: -0.667 }, 'contrast -10']],
  },
  { prompt: 'make it more vivid', edits: [['saturation', { amount: 1 }, 'more vivid']] },
  { prompt: 'make the colours pop', edits: [['saturation', { amount: 1 }]] },
  { prompt: 'vibrant and colorful', edits: [['saturation', { amount: 1 }, 'vibrant and colorful']] },
  { prompt: 'desaturate it slightly', edits: [['saturation', { amount: -0.5 }]] },
  { prompt: 'muted colours', edits: [['saturation', { amount: -1 }, 'muted colours']] },
  { prompt: 'increase saturation by 50%', edits: [['saturation', { amount: 3.333 }]] },
  { prompt: 'make it warmer', edits: [['warmth', { amount: 1 }, 'warmer']] },
  { prompt: 'cool it down a bit', edits: [['warmth', { amount: -0.5 }, 'cool it down a bit']] },
  { prompt: 'golden hour light', edits: [['warmth', { amount: 1.5 }, 'golden hour light']] },
  { prompt: 'cold tones', edits: [['warmth', { amount: -1 }]] },
  { prompt: 'It looks too yellow', edits: [['warmth', { amount: -1 }, 'too yellow']] },
  { prompt: 'warmer by 1000K', edits: [['warmth', { amount: 2 }]] },
  { prompt: 'remove the green cast', edits: [['tint', { amount: 1 }]] },
  { prompt: 'a bit more magenta', edits: [['tint', { amount: 0.5 }, 'a bit more magenta']] },

  // ── Looks: black and white, sepia, vintage ───────────────────────────────────────────────────────
  { prompt: 'black and white', edits: [['grayscale', { amount: 1 }, 'black and white']] },
  { prompt: 'convert to b&w', edits: [['grayscale', { amount: 1 }, 'b&w']] },
  { prompt: 'make it greyscale please', edits: [['grayscale', { amount: 1 }, 'greyscale']] },
  { prompt: 'monochrome', edits: [['grayscale', { amount: 1 }]] },
  { prompt: 'film noir look', edits: [['grayscale', { amount: 1 }, 'film noir look']] },
  { prompt: 'can you make this photo black & white?', edits: [['grayscale', { amount: 1 }, 'black & white']] },
  { prompt: 'make it sepia', edits: [['sepia', { amount: 1 }, 'sepia']] },
  { prompt: 'apply a sepia filter at 50%', edits: [['sepia', { amount: 0.5 }, 'sepia filter at 50%']] },
  { prompt: 'give it a vintage film look', edits: [['vintage', { amount: 1 }, 'vintage film look']] },
  { prompt: 'retro 70s vibe', edits: [['vintage', { amount: 1 }, 'retro 70s vibe']] },
  { prompt: 'faded look', edits: [['vintage', { amount: 1 }]] },

  // ── Detail: sharpen, soften, denoise; vignette; enhance ─────────────────────────────────────────
  { prompt: 'sharpen it', edits: [['sharpen', { amount: 1 }, 'sharpen it']] },
  { prompt: 'make it sharper and more detailed', edits: [['sharpen', { amount: 1 }, 'sharper and more detailed']] },
  { prompt: 'make it less blurry', edits: [['sharpen', { amount: 1 }, 'less blurry']] },
  { prompt: "It's blurry, sharpen it", edits: [['sharpen', { amount: 1 }]] },
  { prompt: 'soft focus, dreamy', edits: [['soften', { amount: 1 }, 'soft focus, dreamy']] },
  { prompt: 'blur the whole image slightly', edits: [['soften', { amount: 0.5 }]] },
  { prompt: 'reduce the noise', edits: [['denoise', { amount: 1 }, 'reduce the noise']] },
  { prompt: 'clean up the grain', edits: [['denoise', { amount: 1 }]] },
  { prompt: 'add a subtle vignette', edits: [['vignette', { amount: 0.5 }, 'add a subtle vignette']] },
  { prompt: 'darken the corners', edits: [['vignette', { amount: 1 }]] },
  { prompt: 'remove the vignette', edits: [['vignette', { amount: -1 }]] },
  {
    prompt: 'enhance the photo',
    edits: [['contrast', { amount: 0.5 }], ['saturation', { amount: 0.5 }], ['sharpen', { amount: 0.5 }]],
  },

  // ── Geometry ─────────────────────────────────────────────────────────────────────────────────────
  { prompt: 'rotate 90 degrees clockwise', edits: [['rotate', { degrees: 90 }, 'rotate 90 degrees clockwise']] },
  { prompt: 'rotate it 90° counter-clockwise', edits: [['rotate', { degrees: -90 }]] },
  { prompt: 'turn it upside down', edits: [['rotate', { degrees: 180 }, 'turn it upside down']] },
  { prompt: 'rotate left', edits: [['rotate', { degrees: -90 }]] },
  { prompt: 'tilt it 5° to the right', edits: [['rotate', { degrees: 5 }]] },
  { prompt: 'rotate slightly to the left', edits: [['rotate', { degrees: -3 }]] },
  { prompt: 'rotate it by a few degrees', edits: [['rotate', { degrees: 3 }]] },
  { prompt: 'rotate one hundred and eighty degrees', edits: [['rotate', { degrees: 180 }]] },
  { prompt: 'rotate 270', edits: [['rotate', { degrees: -90 }]] },
  { prompt: 'straighten the horizon', unused: [['unsupported', 'straighten the horizon']] },
  { prompt: 'flip horizontally', edits: [['flip', { direction: 'horizontal' }]] },
  { prompt: 'mirror the image', edits: [['flip', { direction: 'horizontal' }, 'mirror the image']] },
  { prompt: 'flip it vertically', edits: [['flip', { direction: 'vertical' }]] },
  { prompt: 'zoom in 2x', edits: [['zoom', { factor: 2 }, 'zoom in 2x']] },
  { prompt: 'zoom in a bit', edits: [['zoom', { factor: 1.225 }]] },
  { prompt: 'zoom out', edits: [['zoom', { factor: 0.667 }]] },
  { prompt: 'zoom out by 50%', edits: [['zoom', { factor: 0.5 }]] },
  { prompt: 'get closer', edits: [['zoom', { factor: 1.5 }]] },
  { prompt: 'crop to the subject', edits: [['crop_subject', { margin: 0.1 }, 'crop to the subject']] },
  { prompt: 'close-up of the cat', edits: [['crop_subject', { margin: 0.03, subject: 'the cat' }]] },
  { prompt: 'crop tightly around her face', edits: [['crop_subject', { margin: 0.03, subject: 'her face' }]] },
  {
    prompt: 'flip it horizontally and rotate 180',
    edits: [['flip', { direction: 'horizontal' }, 'flip it horizontally'], ['rotate', { degrees: 180 }, 'rotate 180']],
  },

  // ── Subject-aware: background ────────────────────────────────────────────────────────────────────
  { prompt: 'remove the background', edits: [['remove_background', { fill: 'transparent' }, 'remove the background']] },
  { prompt: 'transparent background', edits: [['remove_background', { fill: 'transparent' }]] },
  { prompt: 'cut out the subject', edits: [['remove_background', { fill: 'transparent' }]] },
  { prompt: 'white background', edits: [['remove_background', { fill: '#ffffff' }, 'white background']] },
  { prompt: 'put it on a blue background', edits: [['remove_background', { fill: '#0000ff' }, 'put it on a blue background']] },
  { prompt: 'change the background to light grey', edits: [['remove_background', { fill: '#d3d3d3' }]] },
  { prompt: 'make the background #FF8800', edits: [['remove_background', { fill: '#ff8800' }]] },
  { prompt: 'blur the background', edits: [['blur_background', { amount: 1 }, 'blur the background']] },
  { prompt: 'slightly blur the background', edits: [['blur_background', { amount: 0.5 }]] },
  { prompt: 'portrait mode with strong bokeh', edits: [['blur_background', { amount: 2 }, 'portrait mode with strong bokeh']] },
  { prompt: 'make the background darker', unused: [['region', 'make the background darker']] },
  { prompt: 'replace the background with a beach', unused: [['generative', 'replace the background with a beach']] },

  // ── Text ─────────────────────────────────────────────────────────────────────────────────────────
  {
    prompt: 'replace "SALE" with "DEAL"',
    edits: [['replace_text', { from: 'SALE', to: 'DEAL', case: 'as_written' }, 'replace "SALE" with "DEAL"']],
  },
  { prompt: 'change the text SALE to DEAL', edits: [['replace_text', { from: 'SALE', to: 'DEAL' }]] },
  { prompt: "'SALE' -> 'DEAL'", edits: [['replace_text', { from: 'SALE', to: 'DEAL' }, "'SALE' -> 'DEAL'"]] },
  { prompt: '“SALE” → “DEAL”', edits: [['replace_text', { from: 'SALE', to: 'DEAL' }]] },
  { prompt: 'replace the word Monday with Friday', edits: [['replace_text', { from: 'Monday', to: 'Friday', case: 'as_written' }]] },
  { prompt: 'replace sale with deal', edits: [['replace_text', { from: 'sale', to: 'deal', case: 'match_original' }]] },
  { prompt: 'substitute DEAL for SALE', edits: [['replace_text', { from: 'SALE', to: 'DEAL' }]] },
  {
    prompt: 'replace "SALE" with "DEAL" and "NEW" with "OLD"',
    edits: [
      ['replace_text', { from: 'SALE', to: 'DEAL' }, 'replace "SALE" with "DEAL"'],
      ['replace_text', { from: 'NEW', to: 'OLD' }, '"NEW" with "OLD"'],
    ],
  },
  {
    prompt: 'replace Monday with Friday, Tuesday with Saturday',
    edits: [['replace_text', { from: 'Monday', to: 'Friday' }], ['replace_text', { from: 'Tuesday', to: 'Saturday' }]],
  },
  {
    prompt: 'replace "50% OFF, today" with "70% OFF" and make it warmer',
    edits: [['replace_text', { from: '50% OFF, today', to: '70% OFF' }], ['warmth', { amount: 1 }, 'warmer']],
  },
  { prompt: 'Replace SALE with DEAL then make it warmer', edits: [['replace_text', { from: 'SALE', to: 'DEAL' }], ['warmth']] },
  { prompt: 'remove the text "DRAFT"', edits: [['remove_text', { text: 'DRAFT' }, 'remove the text "DRAFT"']] },
  { prompt: 'erase the word CONFIDENTIAL', edits: [['remove_text', { text: 'CONFIDENTIAL' }]] },
  { prompt: 'erase all the text', edits: [['remove_text', { text: null }]] },
  { prompt: 'add the text "Hello" at the top', edits: [['add_text', { text: 'Hello', position: 'top' }, 'add the text "Hello" at the top']] },
  { prompt: 'add a caption "Summer 2024"', edits: [['add_text', { text: 'Summer 2024', position: 'bottom' }]] },
  { prompt: 'write "OPEN" in the centre', edits: [['add_text', { text: 'OPEN', position: 'center' }]] },
  { prompt: "add the title 'Grand Opening'", edits: [['add_text', { text: 'Grand Opening', position: 'top' }]] },
  { prompt: 'add the text SALE at the bottom', edits: [['add_text', { text: 'SALE', position: 'bottom' }]] },

  // ── Image sets ───────────────────────────────────────────────────────────────────────────────────
  { prompt: 'three variations', count: 3 },
  { prompt: 'make a set of 4 in black and white', count: 4, edits: [['grayscale']] },
  { prompt: 'a series of portraits', count: 4 },
  { prompt: 'give me two versions', count: 2 },
  { prompt: 'generate a couple of options', count: 2 },
  { prompt: '20 variations', count: 14, unused: [['count_limited', '20 variations']] },
  { prompt: 'ten variations', images: 10, count: 5, unused: [['count_limited', 'ten variations']], edits: placedDefault(10) },
  { prompt: 'three variations', forceSingle: true, count: 1, unused: [['count_limited', 'three variations']] },
  { prompt: 'make three warmer versions', count: 3, edits: [['warmth', { amount: 1 }]] },

  // ── Multi-reference fusion and the scene ─────────────────────────────────────────────────────────
  {
    prompt: 'A beautiful girl is sitting on the boat',
    images: 2,
    edits: [
      [
        'place',
        { source: 1, into: 0, size: 1, subject: 'A beautiful girl', anchor: { relation: 'on', object: 'the boat' } },
        'A beautiful girl is sitting on the boat',
      ],
    ],
    scene: 0,
  },
  {
    prompt: 'A beautiful girl is sitting on the boat',
    images: 1,
    unused: [['description', 'A beautiful girl is sitting on the boat']],
  },
  {
    prompt: 'use image 3 as the background',
    images: 3,
    scene: 2,
    edits: [['scene', { image: 2 }, 'use image 3 as the background'], ['place', { source: 0, into: 2 }, null], ['place', { source: 1, into: 2 }, null]],
  },
  {
    prompt: 'put the cat from image 2 into image 1',
    images: 2,
    edits: [['place', { source: 1, into: 0, subject: 'the cat' }, 'put the cat from image 2 into image 1']],
  },
  {
    prompt: 'put the cat from image 2 into image 3',
    images: 3,
    scene: 2,
    edits: [['place', { source: 1, into: 2, subject: 'the cat' }], ['place', { source: 0, into: 2 }, null]],
  },
  {
    prompt: 'place image 3 on the left',
    images: 3,
    edits: [['place', { source: 2, position: 'left' }, 'place image 3 on the left'], ['place', { source: 1 }, null]],
  },
  {
    prompt: 'add the dog from the second image, bigger',
    images: 2,
    edits: [['place', { source: 1, size: 1.5, subject: 'the dog' }, 'add the dog from the second image, bigger']],
  },
  {
    prompt: 'replace the background with image 2',
    images: 2,
    edits: [['replace_background', { source: { image: 1 } }, 'replace the background with image 2']],
  },
  {
    prompt: 'replace the background with image 3',
    images: 2,
    unused: [['unknown_image', 'replace the background with image 3']],
    edits: [['place', { source: 1 }, null]],
  },
  {
    prompt: 'A girl and a dog are sitting on the boat',
    images: 3,
    edits: [
      ['place', { source: 1, subject: 'A girl', anchor: { relation: 'on', object: 'the boat' } }],
      ['place', { source: 2, subject: 'a dog', anchor: { relation: 'on', object: 'the boat' } }],
    ],
  },
  { prompt: 'put her on the boat', images: 2, edits: [['place', { source: 1, anchor: { relation: 'on', object: 'the boat' } }]] },
  { prompt: 'combine the two images', images: 2, edits: [['place', { source: 1, into: 0 }, 'combine the two images']] },
  { prompt: 'merge the two images', images: 1, unused: [['unknown_image', 'merge the two images']] },
  {
    prompt: 'put the cat from image 3 into image 1',
    images: 2,
    unused: [['unknown_image', 'put the cat from image 3 into image 1']],
    edits: [['place', { source: 1 }, null]],
  },
  { prompt: 'make it brighter', images: 2, edits: [['brightness', { amount: 1 }], ['place', { source: 1, into: 0, size: 1 }, null]] },
  {
    prompt: 'put image 2 on the left and image 3 on the right',
    images: 3,
    edits: [['place', { source: 1, position: 'left' }], ['place', { source: 2, position: 'right' }, 'image 3 on the right']],
  },
  {
    prompt: 'The woman from image 2 standing in the kitchen from image 1',
    images: 2,
    edits: [['place', { source: 1, into: 0, subject: 'The woman', anchor: { relation: 'in', object: 'the kitchen' } }]],
  },
  {
    prompt: 'use the last image as the background, put the first one on the right',
    images: 3,
    scene: 2,
    edits: [['scene', { image: 2 }], ['place', { source: 0, into: 2, position: 'right' }], ['place', { source: 1, into: 2 }, null]],
  },
  {
    prompt: 'put image 2 in the top right corner, smaller',
    images: 2,
    edits: [['place', { source: 1, position: 'top-right', size: 0.667 }, 'put image 2 in the top right corner, smaller']],
  },
  { prompt: 'make the girl bigger', images: 2, edits: [['place', { source: 1, size: 1.5 }, 'make the girl bigger']] },
  {
    prompt: 'A man walking a dog in the park, golden hour',
    images: 2,
    edits: [['place', { source: 1, subject: 'A man walking a dog', anchor: { relation: 'in', object: 'the park' } }], ['warmth', { amount: 1.5 }]],
  },
  // Image 2 is named by an instruction that cannot be used, so it is not placed by default either.
  { prompt: 'rotate image 2 by 90 degrees', images: 2, unused: [['region', 'rotate image 2 by 90 degrees']] },

  // ── Negations and what cannot be used ───────────────────────────────────────────────────────────
  { prompt: "don't make it darker", unused: [['negation', "don't make it darker"]] },
  { prompt: 'don’t make it darker', unused: [['negation', 'don’t make it darker']] },
  { prompt: 'make it brighter but not too bright', edits: [['brightness', { amount: 1 }, 'brighter']], unused: [['negation', 'not too bright']] },
  {
    prompt: 'remove the background without changing the colours',
    edits: [['remove_background', { fill: 'transparent' }]],
    unused: [['negation', 'without changing the colours']],
  },
  { prompt: 'no vignette', unused: [['negation', 'no vignette']] },
  { prompt: 'not as dark please', edits: [['brightness', { amount: 1 }, 'not as dark']] },
  { prompt: 'make her smile', unused: [['generative', 'make her smile']] },
  { prompt: 'turn it into a painting', unused: [['generative', 'turn it into a painting']] },
  { prompt: 'change her dress to red', unused: [['generative', 'change her dress to red']] },
  { prompt: 'add a hat', unused: [['generative', 'add a hat']] },
  { prompt: 'add a hat and sunglasses', unused: [['generative', 'add a hat'], ['generative', 'sunglasses']] },
  { prompt: 'make the sky bluer', unused: [['region', 'make the sky bluer']] },
  { prompt: 'brighten her face', unused: [['region', 'brighten her face']] },
  { prompt: 'make it square', unused: [['size', 'make it square']] },
  { prompt: 'upscale to 4K', unused: [['size', 'upscale to 4K']] },
  { prompt: 'keep the colours natural', unused: [['nothing_to_do', 'keep the colours natural']] },
  { prompt: 'Lift the shadows', unused: [['unsupported', 'Lift the shadows']] },
  { prompt: 'add film grain', unused: [['unsupported', 'add film grain']] },
  { prompt: 'please', edits: [], unused: [] },
  { prompt: 'Photo of a cat on a sofa', unused: [['description', 'Photo of a cat on a sofa']] },
  { prompt: 'A cat on a sofa, black and white', edits: [['grayscale']], unused: [['description', 'A cat on a sofa']] },
  { prompt: 'make it look like a watercolor painting', unused: [['generative', 'make it look like a watercolor painting']] },
  { prompt: 'brighter, and make her smile', edits: [['brightness']], unused: [['generative', 'make her smile']] },

  // ── Several edits, language handling ─────────────────────────────────────────────────────────────
  {
    prompt: 'Make it slightly brighter and much more contrasty',
    edits: [['brightness', { amount: 0.5 }, 'slightly brighter'], ['contrast', { amount: 2 }, 'much more contrasty']],
  },
  {
    prompt: 'Please make the photo a bit warmer and increase saturation by 20%.',
    edits: [['warmth', { amount: 0.5 }, 'a bit warmer'], ['saturation', { amount: 1.333 }, 'increase saturation by 20%']],
  },
  {
    prompt: "I'd like a warmer, more vibrant look please",
    edits: [['warmth', { amount: 1 }], ['saturation', { amount: 1 }]],
  },
  {
    prompt: 'Make it brighter. Then add a vignette; finally sharpen it.',
    edits: [['brightness'], ['vignette'], ['sharpen']],
  },
  {
    prompt: 'Make it brighter, then rotate it 90 degrees and add a caption "Done"',
    edits: [['brightness'], ['rotate', { degrees: 90 }], ['add_text', { text: 'Done', position: 'bottom' }]],
  },
  {
    prompt: 'Make the colours more vibrant, the image brighter and add a subtle vignette',
    edits: [['saturation', { amount: 1 }], ['brightness', { amount: 1 }], ['vignette', { amount: 0.5 }]],
  },
  { prompt: 'make it brighter and darker', edits: [['brightness', { amount: 1 }], ['brightness', { amount: -1 }]] },
  {
    prompt: 'black and white with a vignette, then crop to the subject',
    edits: [['grayscale'], ['vignette'], ['crop_subject']],
  },
  {
    prompt: 'remove the background, put it on a white background',
    edits: [['remove_background', { fill: '#ffffff' }, 'remove the background, put it on a white background']],
  },
  { prompt: 'make the colours more saturated and centre crop on the subject', edits: [['saturation'], ['crop_subject']] },
  { prompt: 'brighter for instagram', edits: [['brightness']], unused: [['unrecognised', 'for instagram']] },
  { prompt: 'BRIGHTER!!!', edits: [['brightness', { amount: 1 }, 'BRIGHTER']] },

  // ── Examples from docs/prompts.md ────────────────────────────────────────────────────────────────
  { prompt: 'a quarter turn', edits: [['rotate', { degrees: 90 }]] },
  { prompt: 'tilt it', edits: [['rotate', { degrees: 5 }]] },
  { prompt: 'zoom in by 50%', edits: [['zoom', { factor: 1.5 }]] },
  { prompt: 'pull back', edits: [['zoom', { factor: 0.667 }]] },
  { prompt: 'tighter crop', edits: [['zoom', { factor: 1.5 }]] },
  { prompt: 'dim it', edits: [['brightness', { amount: -1 }]] },
  { prompt: 'matte', edits: [['contrast', { amount: -1 }]] },
  { prompt: 'more yellow', edits: [['warmth', { amount: 1 }]] },
  { prompt: 'remove the magenta cast', edits: [['tint', { amount: -1 }]] },
  { prompt: 'remove the colour', edits: [['grayscale', { amount: 1 }]] },
  { prompt: 'antique', edits: [['sepia', { amount: 1 }]] },
  { prompt: 'less sharp', edits: [['soften', { amount: 1 }]] },
  { prompt: 'flip top to bottom', edits: [['flip', { direction: 'vertical' }]] },
  { prompt: 'no background', edits: [['remove_background', { fill: 'transparent' }, 'no background']] },
  { prompt: 'isolate the product', edits: [['remove_background', { fill: 'transparent' }]] },
  { prompt: 'replace the background with red', edits: [['remove_background', { fill: '#ff0000' }]] },
  { prompt: 'make the background blurry', edits: [['blur_background', { amount: 1 }]] },
  {
    prompt: 'touch up the photo',
    edits: [['contrast', { amount: 0.5 }], ['saturation', { amount: 0.5 }], ['sharpen', { amount: 0.5 }]],
  },
  { prompt: 'smooth her skin', unused: [['unsupported', 'smooth her skin']] },
  { prompt: '16:9', unused: [['size', '16:9']] },
  { prompt: 'make it bigger', unused: [['size', 'make it bigger']] },
  { prompt: 'a series of 6 portraits', count: 6 },
  { prompt: 'several versions', count: 4 },
  { prompt: 'a couple of alternatives', count: 2 },
  { prompt: 'generate 4 pictures', count: 4 },
  {
    prompt: 'use the background from image 3',
    images: 3,
    edits: [['replace_background', { source: { image: 2 } }], ['place', { source: 1 }, null]],
  },
  {
    prompt: 'swap the background for the one in the second image',
    images: 2,
    edits: [['replace_background', { source: { image: 1 } }]],
  },
  { prompt: 'add the cat from image 2, much bigger', images: 2, edits: [['place', { source: 1, size: 2.25 }]] },
  { prompt: 'image 2 at half the size', images: 2, edits: [['place', { source: 1, size: 0.5 }]] },
  {
    prompt: 'image 2, tiny, in the centre',
    images: 2,
    edits: [['place', { source: 1, size: 0.5, position: 'center' }, 'image 2, tiny, in the centre']],
  },
  { prompt: 'image 2 is the scene', images: 2, scene: 1, edits: [['scene', { image: 1 }], ['place', { source: 0 }, null]] },
  {
    prompt: 'make image 3 smaller',
    images: 3,
    edits: [['place', { source: 2, size: 0.667 }, 'make image 3 smaller'], ['place', { source: 1 }, null]],
  },

  // ── Prompts that once were misread ───────────────────────────────────────────────────────────────
  {
    prompt: 'Can you remove the background and replace it with white?',
    edits: [['remove_background', { fill: '#ffffff' }, 'remove the background and replace it with white']],
  },
  { prompt: 'put a white background', edits: [['remove_background', { fill: '#ffffff' }]] },
  { prompt: 'Get rid of the background noise', edits: [['denoise', { amount: 1 }]] },
  { prompt: 'Pixelate the license plate', unused: [['unrecognised', 'Pixelate the license plate']] },
  { prompt: 'Sunset over the sea', unused: [['description', 'Sunset over the sea']] },
  { prompt: 'Warm up the skin tones', unused: [['region', 'Warm up the skin tones']] },
  { prompt: 'more saturation in the sky', unused: [['region', 'more saturation in the sky']] },
  { prompt: 'brighten everything except the sky', edits: [['brightness']], unused: [['negation', 'except the sky']] },
  { prompt: 'stop making it so dark', unused: [['negation', 'stop making it so dark']] },
  { prompt: 'SALE->DEAL', edits: [['replace_text', { from: 'SALE', to: 'DEAL' }]] },
  { prompt: 'Make this picture look like it was taken in the 80s', edits: [['vintage', { amount: 1 }]] },
  { prompt: 'Crop the image to focus on the dog', edits: [['crop_subject', { subject: 'the dog' }]] },
  { prompt: 'Add a soft glow', edits: [['soften', { amount: 1 }]] },
  { prompt: 'Add a dark vignette around the edges', edits: [['vignette', { amount: 1 }]] },
  { prompt: 'add a white vignette', edits: [['vignette', { amount: -1 }]] },
  { prompt: 'Set the exposure to +0.7', edits: [['exposure', { amount: 0.7 }]] },
  { prompt: 'make it −20% darker', edits: [['brightness', { amount: -1.333 }]] },
  { prompt: 'less green', edits: [['tint', { amount: 1 }]] },
  { prompt: 'it has a magenta tint, fix it', edits: [['tint', { amount: -1 }]], unused: [['unrecognised', 'fix it']] },
  {
    prompt: "It's a little too bright, tone it down",
    edits: [['brightness', { amount: -0.5 }]],
    unused: [['unrecognised', 'tone it down']],
  },
  { prompt: 'warm it up and add some grain', edits: [['warmth']], unused: [['unsupported', 'add some grain']] },
  {
    prompt: 'Make it black and white but keep the red dress in color',
    edits: [['grayscale']],
    unused: [['nothing_to_do', 'keep the red dress in color']],
  },
  { prompt: 'give me 4 black and white variations', count: 4, edits: [['grayscale']] },
  { prompt: 'three variations and then 5 versions', count: 3, unused: [['conflict', '5 versions']] },
  {
    prompt: 'Image 1: background. Image 2: the product.',
    images: 2,
    edits: [['scene', { image: 0 }], ['place', { source: 1, into: 0 }, 'Image 2: the product']],
  },
  {
    prompt: 'Image 2 as background, image 1 in the foreground',
    images: 2,
    scene: 1,
    edits: [['scene', { image: 1 }], ['place', { source: 0, into: 1, position: 'front' }]],
  },
  {
    prompt: 'Place the girl from the first image next to the man in the second image',
    images: 2,
    scene: 1,
    edits: [['place', { source: 0, into: 1, subject: 'the girl', anchor: { relation: 'beside', object: 'the man' } }]],
  },
  {
    prompt: 'Put the product from image 1 on the table in image 2',
    images: 2,
    scene: 1,
    edits: [['place', { source: 0, into: 1, subject: 'the product', anchor: { relation: 'on', object: 'the table' } }]],
  },
  {
    prompt: 'the girl in the first picture is sitting on the boat from the second one',
    images: 2,
    scene: 1,
    edits: [['place', { source: 0, into: 1, subject: 'the girl', anchor: { relation: 'on', object: 'the boat' } }]],
  },
  {
    prompt: 'put the darker dog from image 2 on the left',
    images: 2,
    edits: [['place', { source: 1, position: 'left', subject: 'the darker dog' }]],
  },
  {
    prompt: 'A girl wearing a red hat is sitting on the boat',
    images: 2,
    edits: [['place', { source: 1, subject: 'A girl', anchor: { relation: 'on', object: 'the boat' } }]],
  },
  {
    prompt: 'Make the person in image 1 wear the jacket from image 2',
    images: 2,
    unused: [['generative', 'Make the person in image 1 wear the jacket from image 2']],
  },
  {
    prompt: 'Combine these photos into a collage',
    images: 3,
    edits: [['place', { source: 1, into: 0 }], ['place', { source: 2, into: 0 }]],
  },
  {
    prompt: 'Use image 1 as the scene and add the person from image 2 at the bottom left, twice as big',
    images: 2,
    edits: [['scene', { image: 0 }], ['place', { source: 1, position: 'bottom-left', size: 2 }]],
  },
];

/** The default placements of every reference but the first, as a test expects them. */
function placedDefault(images: number): Expected[] {
  return Array.from({ length: images - 1 }, (_, i): Expected => ['place', { source: i + 1, into: 0, size: 1 }, null]);
}

function label(c: Case): string {
  const extras = [c.images && c.images > 1 ? `${c.images} images` : '', c.forceSingle ? 'force_single' : '']
    .filter(Boolean)
    .join(', ');
  return extras ? `${c.prompt} (${extras})` : c.prompt;
}

function interpret(c: Case): Plan {
  return interpretPrompt(c.prompt, { imageCount: c.images ?? 1, forceSingle: c.forceSingle ?? false, inputCount: c.inputCount });
}

describe('interpretPrompt', () => {
  it('has a table of at least 100 prompts', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it.each(cases.map((c) => [label(c), c] as const))('%s', (_name, c) => {
    const plan = interpret(c);
    const expected = c.edits ?? [];
    expect(plan.edits.map((e) => e.kind)).toEqual(expected.map(([kind]) => kind));
    expected.forEach(([, params, text], i) => {
      const edit = plan.edits[i]!;
      if (params) expect(edit.params).toMatchObject(params);
      if (text === null) expect(edit.span).toBeUndefined();
      else if (text !== undefined) expect(edit.text).toBe(text);
    });
    expect(plan.unused.map((u) => [u.reason, u.text])).toEqual(c.unused ?? []);
    expect(plan.count).toBe(c.count ?? 1);
    expect(plan.scene).toBe(c.scene ?? 0);

    // Every span points at the text it claims, and the plan is deterministic.
    for (const item of [...plan.edits, ...plan.unused]) {
      if (item.span) expect(c.prompt.slice(...item.span)).toBe(item.text);
    }
    expect(interpret(c)).toEqual(plan);
  });
});

describe('plan details', () => {
  it('gives the spans of each edit in the original prompt', () => {
    const prompt = 'Make it slightly brighter and add a vignette';
    const plan = interpretPrompt(prompt, { imageCount: 1, forceSingle: false });
    expect(plan.edits.map((e) => e.span)).toEqual([[8, 25], [30, 44]]);
  });

  it('keeps quoted text exactly, whatever it contains', () => {
    const plan = interpretPrompt('replace "make it brighter, and black and white" with "Done!"', { imageCount: 1, forceSingle: false });
    expect(plan.edits).toEqual([
      {
        kind: 'replace_text',
        params: { from: 'make it brighter, and black and white', to: 'Done!', case: 'as_written' },
        span: [0, 60],
        text: 'replace "make it brighter, and black and white" with "Done!"',
      },
    ]);
  });

  it('records the count the prompt asked for, before the cap', () => {
    const plan = interpretPrompt('a set of 12 variations', { imageCount: 4, forceSingle: false });
    expect(plan.count).toBe(11);
    expect(plan.countRequest).toEqual({ count: 12, span: [0, 22], text: 'a set of 12 variations' });
  });

  it('uses inputCount for the cap when given', () => {
    const plan = interpretPrompt('five variations', { imageCount: 2, inputCount: 12, forceSingle: false });
    expect(plan.count).toBe(3);
  });

  it.each([
    ['make her smile', 1, "the built-in engine cannot generate new content: 'make her smile' was not applied"],
    ['A beautiful girl is sitting on the boat', 1, "'A beautiful girl is sitting on the boat' describes the scene; no edit recognised"],
    ['not too bright', 1, "'not too bright' says what not to do; nothing was applied for it"],
    ['make the sky bluer', 1, "the built-in engine adjusts the whole image, not the sky: 'make the sky bluer' was not applied"],
    ['make it square', 1, "the output size is set by the width×height parameter: 'make it square' was not applied"],
    ['replace the background with image 3', 2, "'replace the background with image 3' was not applied: there is no image 3 (2 images were given)"],
    ['20 variations', 1, "'20 variations' was limited: at most 14 images with 1 input"],
    ['keep the colours natural', 1, "'keep the colours natural' needs no edit"],
    ['fix it', 1, "'fix it' was not understood and was not applied"],
  ] as const)('warns about %j with %i image(s)', (prompt, imageCount, warning) => {
    const plan = interpretPrompt(prompt, { imageCount, forceSingle: false });
    expect(plan.unused.map(describeUnused)).toEqual([warning]);
  });

  it('turns unused parts into the warnings users read', () => {
    const plan = interpretPrompt('make her smile and make it brighter', { imageCount: 1, forceSingle: false });
    expect(plan.unused.map(describeUnused)).toEqual([
      "the built-in engine cannot generate new content: 'make her smile' was not applied",
    ]);
    const described = interpretPrompt('A beautiful girl is sitting on the boat', { imageCount: 1, forceSingle: false });
    expect(describeUnused(described.unused[0]!)).toBe(
      "'A beautiful girl is sitting on the boat' describes the scene; no edit recognised",
    );
  });

  it('reads prompts with emoji and other scripts without shifting spans', () => {
    const prompt = '😀 make it brighter, 日本 and warmer';
    const plan = interpretPrompt(prompt, { imageCount: 1, forceSingle: false });
    expect(plan.edits.map((e) => [e.kind, e.text])).toEqual([
      ['brightness', 'brighter'],
      ['warmth', 'warmer'],
    ]);
    for (const e of plan.edits) expect(prompt.slice(...e.span!)).toBe(e.text);
  });

  it('handles the longest prompt the schema allows quickly', () => {
    const prompt = 'make it brighter, add a vignette and replace "SALE" with "DEAL"; '.repeat(13).slice(0, 800);
    interpretPrompt(prompt, { imageCount: 10, forceSingle: false });
    const started = performance.now();
    const plan = interpretPrompt(prompt, { imageCount: 10, forceSingle: false });
    expect(performance.now() - started).toBeLessThan(200);
    expect(plan.edits.some((e) => e.kind === 'replace_text')).toBe(true);
  });
});
