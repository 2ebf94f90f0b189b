/**
 * Requests the built-in engine knows but does not do. Naming them gives a precise reason instead of
 * "not understood", and keeps their words from being misread as something else.
 */
import { alt, rx } from './pattern.js';
import { unusable, type Rule } from './rules.js';

const known = (id: string, pattern: RegExp, detail: string): Rule => ({
  id,
  pattern,
  build: () => unusable('unsupported', detail),
});

const TONAL_RANGE = alt`shadows | highlights | blacks | whites | mid-?tones | shadow detail | highlight detail`;

export const unsupportedRules: Rule[] = [
  known(
    'shadows-highlights',
    rx`${alt`
      (?:lift|raise|brighten|lighten|open up|boost|recover|lower|darken|reduce|deepen|crush|tame|fix|compress|bring (?:down|up|back)|pull (?:down|up|back))(?: (?:the|its))? ${TONAL_RANGE}
      (?:shadows|highlights) (?:up|down)
    `}`,
    'shadow and highlight adjustments are not available',
  ),
  known(
    'colour-grade',
    rx`${alt`
      (?:teal|orange)[\s-]*(?:and|&|n)[\s-]*(?:teal|orange)(?: (?:look|grade|grading|style))?
      colou?r grad(?:e|ing) | cinematic (?:look|grade|colou?rs) | lut
    `}`,
    'colour grading looks are not available; say warmer, cooler, more contrast',
  ),
  known(
    'hdr',
    rx`hdr(?: (?:look|effect|style|photo))?|high dynamic range|tone[\s-]?map(?:ping)?`,
    'HDR tone mapping is not available',
  ),
  known(
    'red-eye',
    rx`(?:remove|fix|correct|reduce) (?:the )?red[\s-]?eyes?(?: effect)?|red[\s-]?eye (?:removal|correction|fix)`,
    'red-eye correction is not available',
  ),
  known(
    'white-balance',
    rx`(?:fix|correct|adjust|auto|balance|neutrali[sz]e)(?: the)? white[\s-]?balance|auto[\s-]white[\s-]balance|white[\s-]balance`,
    'automatic white balance is not available; say warmer, cooler, greener or more magenta',
  ),
  known('dehaze', rx`dehaze|de-haze|remove (?:the )?haze|(?:less|reduce (?:the )?) haze`, 'dehazing is not available'),
  known(
    'skin',
    rx`${alt`
      (?:smooth|soften|retouch|airbrush|clear|even out)(?: (?:her|his|their|the))? skin | skin (?:smoothing|retouching)
      (?:remove|hide) (?:the )?(?:blemishes|wrinkles|pimples|spots|acne) | whiten (?:the |her |his |their )?teeth
    `}`,
    'skin and face retouching needs a generative model',
  ),
];
