/**
 * conformImage: what an engine received from elsewhere (ComfyUI's PNGs, a provider's files) made what
 * retouch promises, with its thumbnail when the pixels were decoded anyway.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { conformImage } from '../../src/engine/conform.js';
import { THUMBNAIL_SIZE, thumbnailOf } from '../../src/engine/thumbnail.js';
import { photo } from '../helpers/paths.js';

/** Mean absolute difference per channel value (0–255) between two images of one size. */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((i) => sharp(i).removeAlpha().raw().toBuffer()));
  expect(x!.length).toBe(y!.length);
  let sum = 0;
  for (let i = 0; i < x!.length; i++) sum += Math.abs(x![i]! - y![i]!);
  return sum / x!.length;
}

describe('conformImage', () => {
  it('turns an opaque PNG of the right size into a JPEG, with the thumbnail the worker would make of it', async () => {
    const png = await sharp(photo('horse.png')).resize(640, 480, { fit: 'cover' }).removeAlpha().png().toBuffer();
    const { image, warning } = await conformImage(png, 640, 480, 'ComfyUI', { thumbnail: true });
    expect(warning).toBeUndefined();
    expect(image).toMatchObject({ format: 'jpeg', width: 640, height: 480 });
    expect((await sharp(image.data).metadata()).format).toBe('jpeg');
    const thumb = await sharp(image.thumbnail!).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(['jpeg', THUMBNAIL_SIZE, 288]);
    // The same picture the worker's own recipe makes from the stored output.
    expect(await difference(image.thumbnail!, await thumbnailOf(sharp(image.data)))).toBeLessThan(2);
  });

  it('keeps transparency as PNG (as it is, at the right size), and its thumbnail lies on white', async () => {
    const rgba = await sharp({ create: { width: 400, height: 400, channels: 4, background: { r: 200, g: 30, b: 30, alpha: 0 } } })
      .composite([{ input: await sharp(photo('coffee.png')).resize(200, 200).png().toBuffer(), left: 100, top: 100 }])
      .png()
      .toBuffer();
    const kept = await conformImage(rgba, 400, 400, 'ComfyUI');
    expect(kept.image.data).toBe(rgba);
    // Turned a quarter (EXIF orientation 6), so that it has to be converted.
    const turned = await sharp(rgba).withMetadata({ orientation: 6 }).png().toBuffer();
    const { image } = await conformImage(turned, 400, 400, 'ComfyUI', { thumbnail: true });
    expect([image.format, image.width]).toEqual(['png', 400]);
    expect((await sharp(image.data).metadata()).hasAlpha).toBe(true);
    for (const thumb of [image.thumbnail!, await thumbnailOf(sharp(rgba))]) {
      const corner = await sharp(thumb).extract({ left: 0, top: 0, width: 8, height: 8 }).raw().toBuffer();
      expect(Math.min(...corner)).toBeGreaterThan(245);
    }
  });

  it('scales and crops to the requested size and says so; the worker makes the thumbnail of what it kept', async () => {
    const wide = await sharp(photo('chelsea.png')).resize(900, 450, { fit: 'fill' }).png().toBuffer();
    const { image, warning } = await conformImage(wide, 512, 512, 'ComfyUI', { thumbnail: true });
    expect(warning).toBe('ComfyUI made a 900x450 image; it was scaled and cropped to the requested 512x512.');
    expect([image.width, image.height]).toEqual([512, 512]);
    expect(image.thumbnail).toBeUndefined();
  });

  it('converts a 16-bit PNG to an 8-bit JPEG, scaled down rather than clipped', async () => {
    const deep = await sharp(photo('astronaut.png')).resize(300, 300).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    const { image } = await conformImage(deep, 300, 300, 'ComfyUI', { thumbnail: true });
    expect(image.format).toBe('jpeg');
    const plain = await sharp(photo('astronaut.png')).resize(300, 300).jpeg().toBuffer();
    expect(await difference(image.data, plain)).toBeLessThan(4);
    expect(await difference(image.thumbnail!, await thumbnailOf(sharp(plain)))).toBeLessThan(4);
  });

  it('makes no thumbnail unless asked (only the first output needs one)', async () => {
    const png = await sharp(photo('horse.png')).resize(320, 240, { fit: 'cover' }).removeAlpha().png().toBuffer();
    const { image } = await conformImage(png, 320, 240, 'ComfyUI');
    expect(image.format).toBe('jpeg');
    expect(image.thumbnail).toBeUndefined();
  });

  it('keeps a JPEG of the right size byte for byte', async () => {
    const jpeg = await sharp(photo('grass.png')).resize(256, 256).jpeg().toBuffer();
    const { image, warning } = await conformImage(jpeg, 256, 256, 'Ark');
    expect(image.data).toBe(jpeg);
    expect(image.thumbnail).toBeUndefined();
    expect(warning).toBeUndefined();
  });

  it('refuses what it cannot read, naming who made it', async () => {
    await expect(conformImage(Buffer.from('not an image'), 10, 10, 'ComfyUI')).rejects.toThrow('ComfyUI returned an image that cannot be read');
  });
});
