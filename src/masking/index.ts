/**
 * `callwarden/masking` — phone-number normalisation and mask rules, and redaction of free
 * text and IVR inputs: resident ID numbers, bank cards, e-mail addresses and phone numbers
 * are replaced by tokens (`redactText`), and IVR inputs are stored redacted with a keyed
 * hash for matching (`ivrInput`, `hashIvrValue`). (The UID-mapping client and agent views
 * are added to this module next.)
 *
 * @module
 */
export {
  IVR_HASH_KEY_MIN_BYTES,
  hashIvrValue,
  ivrInput,
  type IvrInputOptions,
} from './ivr-input-middleware.js'
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
export { redactText, type RedactTextOptions, type RedactionResult } from './redaction/redact-text.js'
export {
  REDACTED_TOKEN,
  REDACTION_KINDS,
  REDACTION_LOCALES,
  REDACTION_TOKENS,
  type RedactionFinding,
  type RedactionKind,
  type RedactionLocale,
  type RedactionToken,
} from './redaction/redaction-kinds.js'
