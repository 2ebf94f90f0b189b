/** The sentence a user reads for each unused part of the prompt (the engine's `warnings`). */
import type { Unused } from './types.js';

export function describeUnused(u: Unused): string {
  const quoted = `'${u.text}'`;
  const why = u.detail ? ` (${u.detail})` : '';
  switch (u.reason) {
    case 'generative':
      return `the built-in engine cannot generate new content: ${quoted} was not applied${why}`;
    case 'description':
      return `${quoted} describes the scene; no edit recognised`;
    case 'negation':
      return `${quoted} says what not to do; nothing was applied for it`;
    case 'region':
      return `the built-in engine adjusts the whole image, not ${u.detail ?? 'one part of it'}: ${quoted} was not applied`;
    case 'unsupported':
      return `the built-in engine cannot do this: ${quoted} was not applied${why}`;
    case 'size':
      return `the output size is set by the width×height parameter: ${quoted} was not applied`;
    case 'unknown_image':
      return `${quoted} was not applied: ${u.detail ?? 'it names an image that was not given'}`;
    case 'count_limited':
      return `${quoted} was limited: ${u.detail ?? 'too many images'}`;
    case 'conflict':
      return `${quoted} was not applied: it conflicts with an earlier instruction${why}`;
    case 'nothing_to_do':
      return `${quoted} needs no edit`;
    case 'unrecognised':
      return `${quoted} was not understood and was not applied`;
  }
}
