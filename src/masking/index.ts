/**
 * `callwarden/masking` — phone-number normalisation and mask rules. (The UID-mapping
 * client, agent views and redaction are added to this module next.)
 *
 * @module
 */
export {
  MASK_CHAR,
  MASK_STYLES,
  NUMBER_FORMATS,
  maskDigits,
  maskNumber,
  type MaskOptions,
  type MaskStyle,
  type NumberFormat,
} from './mask-number.js'
export {
  NUMBER_PROBLEMS,
  NumberInvalid,
  formatPlatformNumber,
  normalizeNumber,
  parseNumber,
  type NormalizeOptions,
  type NumberProblem,
  type ParsedNumber,
} from './phone-number.js'
