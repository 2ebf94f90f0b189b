// The requests of the gallery: each a title, the inputs (sample photo names, or functions making a
// picture), the prompt, the size and the scale.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import sharp from 'sharp';
import { faceOf, fontString, registerFonts } from '../dist/engine/builtin/text/fonts.js';

const PHOTOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/photos');

/** The horse silhouette on grass: a second reference with a clear subject. */
const horseOnGrass = async () => {
  const grass = await sharp(path.join(PHOTOS, 'grass.png')).resize(800, 656).toColourspace('srgb').tint('#6a8f3a').toBuffer();
  const horse = await sharp(path.join(PHOTOS, 'horse.png')).resize(800, 656).toBuffer();
  return sharp(grass).composite([{ input: horse }]).png().toBuffer();
};

/**
 * A poster: a background (a sample photo or a gradient) with lines of text drawn in the shipped
 * fonts. Each line: [text, x, y, size, colour, {kind, weight, angle, align}].
 */
export const poster = (background, width, height, lines) => async () => {
  registerFonts();
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  if (background.startsWith('#')) {
    const [from, to] = background.split(',');
    const grad = g.createLinearGradient(0, 0, width, height);
    grad.addColorStop(0, from);
    grad.addColorStop(1, to);
    g.fillStyle = grad;
    g.fillRect(0, 0, width, height);
  } else {
    const photo = await sharp(path.join(PHOTOS, background)).resize(width, height, { fit: 'cover' }).png().toBuffer();
    g.drawImage(await loadImage(photo), 0, 0);
  }
  for (const [text, x, y, size, colour, o = {}] of lines) {
    g.save();
    g.translate(x, y);
    g.rotate(((o.angle ?? 0) * Math.PI) / 180);
    g.font = fontString(faceOf(o.kind ?? 'sans', o.weight ?? 700), size);
    g.fillStyle = colour;
    g.textAlign = o.align ?? 'left';
    g.fillText(text, 0, 0);
    g.restore();
  }
  return canvas.encode('png');
};

export const CASES = [
  { title: 'Tone: brighter and warmer', inputs: ['coffee.png'], prompt: 'make it brighter and warmer', size: '2048x2048(1:1)' },
  { title: 'Black and white with more contrast', inputs: ['astronaut.png'], prompt: 'black and white, with more contrast', size: '2048x2048(1:1)' },
  { title: 'Vintage film look', inputs: ['coffee.png'], prompt: 'give it a vintage film look', size: '2496x1664(3:2)' },
  { title: 'Strength follows scale (0.2)', inputs: ['chelsea.png'], prompt: 'make it more vivid and add a vignette', size: '2304x1728(4:3)', scale: 0.2 },
  { title: 'Strength follows scale (0.9)', inputs: ['chelsea.png'], prompt: 'make it more vivid and add a vignette', size: '2304x1728(4:3)', scale: 0.9 },
  { title: 'Remove the background (PNG with alpha)', inputs: ['astronaut.png'], prompt: 'remove the background', size: '2048x2048(1:1)' },
  { title: 'Portrait mode', inputs: ['astronaut.png'], prompt: 'blur the background', size: '2048x2048(1:1)' },
  { title: 'Replace the background with another reference', inputs: ['astronaut.png', 'coffee.png'], prompt: 'replace the background with image 2', size: '2048x2048(1:1)' },
  { title: "The seed's own example: two references fused", inputs: ['coffee.png', 'astronaut.png'], prompt: 'A beautiful girl is sitting on the boat', size: '2048x2048(1:1)' },
  { title: 'Fusion anchored to the scene\'s main object ("on the …")', inputs: ['coffee.png', horseOnGrass], prompt: 'A horse is standing on the cup', size: '2048x2048(1:1)' },
  { title: 'Fusion placed where the prompt says', inputs: ['brick.png', horseOnGrass], prompt: 'put the horse from image 2 on the right, smaller', size: '2560x1440(16:9)' },
  { title: 'Rotate a few degrees, edges filled', inputs: ['chelsea.png'], prompt: 'rotate it 12 degrees clockwise', size: '2304x1728(4:3)' },
  { title: 'Crop to the subject', inputs: ['astronaut.png'], prompt: 'crop to the subject', size: '2048x2048(1:1)' },
  { title: 'An image set', inputs: ['coffee.png'], prompt: 'three variations, warmer', size: '1024x1024(1:1)' },
  { title: 'Widest size, structure-aware fit', inputs: ['astronaut.png'], prompt: 'sharpen it a little', size: '6198x2656(21:9)' },
  {
    title: 'Text replacement on a gradient, mixed with a tone edit',
    inputs: [poster('#f4eee2,#d6e0ec', 1280, 720, [['BIG', 300, 330, 150, '#b01e28'], ['SALE', 660, 330, 150, '#b01e28'], ['Open on Monday', 640, 560, 60, '#1e283c', { weight: 400, align: 'center' }]])],
    prompt: 'replace "SALE" with "DEAL", change the text Monday to Friday, and make it warmer',
    size: '2560x1440(16:9)',
  },
  {
    title: 'Light text on a dark gradient, longer replacement',
    inputs: [poster('#121c5c,#76243a', 1200, 675, [['SUMMER SALE', 600, 380, 110, '#fad66e', { weight: 900, align: 'center' }]])],
    prompt: "'SALE' -> 'CLEARANCE'",
    size: '2560x1440(16:9)',
  },
  {
    title: 'Serif text turned 15 degrees',
    inputs: [poster('#eceff6,#c4d2e4', 1200, 900, [['Grand Opening', 250, 420, 90, '#2a3550', { kind: 'serif', angle: 15 }]])],
    prompt: 'replace the word Opening with Closing',
    size: '2304x1728(4:3)',
  },
  {
    title: 'Remove text, then add a caption',
    inputs: [poster('coffee.png', 1200, 800, [['DRAFT', 40, 110, 90, '#f0f0f0', { weight: 900 }]])],
    prompt: 'remove the text "DRAFT" and add the text "Espresso bar" at the bottom',
    size: '2304x1728(4:3)',
  },
  {
    title: 'Text over a busy photo: not found, and said so',
    inputs: [poster('astronaut.png', 1024, 1024, [['DRAFT', 600, 150, 90, '#c0202a', { weight: 900 }]])],
    prompt: 'remove the text "DRAFT"',
    size: '1024x1024(1:1)',
  },
  { title: 'What it cannot do is said, not hidden', inputs: ['astronaut.png'], prompt: 'make her smile and give her a red hat, then make it brighter', size: '1024x1024(1:1)' },
];
