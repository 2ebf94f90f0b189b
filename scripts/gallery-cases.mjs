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

/** A shape (SVG, white on black) filled with one picture over another: a reference whose main object is known. */
async function shapeOver(width, height, shapes, fill, background) {
  const mask = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="black"/><g fill="white">${shapes}</g></svg>`))
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  const inside = await sharp(fill).joinChannel(mask, { raw: { width, height, channels: 1 } }).png().toBuffer();
  return sharp(background).composite([{ input: inside }]).png().toBuffer();
}

/** A photo covering width × height, its channels scaled (grey photos get a colour). */
const tinted = async (name, width, height, k) => {
  // Three bands first: libvips will not spread one grey band over three with linear().
  const rgb = await sharp(path.join(PHOTOS, name)).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'cover' }).raw().toBuffer();
  return sharp(rgb, { raw: { width, height, channels: 3 } }).linear(k, [0, 0, 0]).png().toBuffer();
};

/** Sky over water and a wooden boat with a cabin: the scene of the seed's sentence. */
export const boatScene = async () => {
  const [W, H] = [1024, 768];
  const water = await tinted('grass.png', W, H, [0.35, 0.6, 0.95]);
  const sky = await sharp({ create: { width: W, height: Math.round(H * 0.45), channels: 3, background: '#a8cdf0' } }).png().toBuffer();
  const background = await sharp(water).composite([{ input: sky, left: 0, top: 0 }]).png().toBuffer();
  const wood = await tinted('coffee.png', W, H, [1.1, 0.8, 0.6]);
  return shapeOver(W, H, '<path d="M 300 520 L 740 520 L 690 610 L 350 610 Z"/><rect x="440" y="470" width="150" height="55" rx="6"/>', wood, background);
};

/** A close-up: the cat's face filling its frame. */
const catCloseUp = () => sharp(path.join(PHOTOS, 'chelsea.png')).extract({ left: 150, top: 20, width: 240, height: 240 }).resize(640, 640).png().toBuffer();

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
    const source = background.startsWith('data:') ? Buffer.from(background.slice(5), 'base64') : path.join(PHOTOS, background);
    const photo = await sharp(source).resize(width, height, { fit: 'cover' }).png().toBuffer();
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
  { title: "The seed's own example: the girl's picture first, the boat's second (roles read from the pictures)", inputs: ['astronaut.png', boatScene], prompt: 'A beautiful girl is sitting on the boat', size: '2304x1728(4:3)' },
  { title: "The seed's own example, the pictures the other way round", inputs: [boatScene, 'astronaut.png'], prompt: 'A beautiful girl is sitting on the boat', size: '2304x1728(4:3)' },
  { title: 'The astronaut on the horse: the subject from the picture that shows it', inputs: ['astronaut.png', horseOnGrass], prompt: 'The astronaut is sitting on the horse', size: '2304x1728(4:3)' },
  { title: 'A close-up cannot be cut out cleanly: a soft edge and a warning', inputs: [boatScene, catCloseUp], prompt: 'put the cat from image 2 into image 1', size: '2304x1728(4:3)' },
  { title: "Placed beside the scene's main object, never over it", inputs: [boatScene, horseOnGrass], prompt: 'add the horse from image 2', size: '2304x1728(4:3)' },
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
    title: 'Bold red words on a light panel over a night photo (found by PP-OCR; tesseract missed them)',
    inputs: [
      async () => {
        const night = await sharp(path.join(PHOTOS, 'coffee.png')).resize(1200, 800, { fit: 'cover' }).linear([0.25, 0.3, 0.45], [0, 4, 18]).png().toBuffer();
        const panel = await sharp({ create: { width: 700, height: 260, channels: 3, background: '#eeeae2' } }).png().toBuffer();
        const base = await sharp(night).composite([{ input: panel, left: 250, top: 250 }]).png().toBuffer();
        return poster('data:' + base.toString('base64'), 1200, 800, [['BIG SALE', 600, 430, 120, '#c81820', { weight: 900, align: 'center' }]])();
      },
    ],
    prompt: 'replace "SALE" with "DEAL"',
    size: '2496x1664(3:2)',
  },
  {
    title: 'Text turned 30 degrees',
    inputs: [poster('#282c34,#465060', 1200, 900, [['OPEN LATE', 600, 480, 100, '#fafafa', { weight: 900, align: 'center', angle: 30 }]])],
    prompt: 'replace "LATE" with "DAILY"',
    size: '2304x1728(4:3)',
  },
  {
    title: 'Red text over a photo with red stripes behind it: refused, and said so',
    inputs: [poster('astronaut.png', 1024, 1024, [['DRAFT', 600, 150, 90, '#c0202a', { weight: 900 }]])],
    prompt: 'remove the text "DRAFT"',
    size: '1024x1024(1:1)',
  },
  { title: 'What it cannot do is said, not hidden', inputs: ['astronaut.png'], prompt: 'make her smile and give her a red hat, then make it brighter', size: '1024x1024(1:1)' },
];
