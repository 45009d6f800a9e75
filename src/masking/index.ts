/**
 * `callwarden/masking` — phone-number normalisation, mask rules, who sees which form of a
 * number (`NumberProtector`), the PhoneToUID / UIDToPhone client, screen-pop URLs, the
 * `agentView()` / `dialByUid()` pipeline middleware, and redaction of free text and IVR
 * inputs (`redactText`, `ivrInput`, `hashIvrValue`). Everything fails closed: when a real
 * number cannot be protected properly, a fully masked one is shown instead.
 *
 * @module
 */
export { agentView, dialByUid } from './agent-view-middleware.js'
export {
  DEFAULT_IVR_WITHHELD_VARIABLES,
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
export { CIRCUIT_STATES, type CircuitState } from './uid-mapping/circuit-breaker.js'
export {
  type BasicAuth,
  type OAuth2ClientCredentialsAuth,
  type UidEndpointAuth,
  type UidMappingTransport,
} from './uid-mapping/http-uid-mapping-transport.js'
export {
  OAUTH_CLIENT_AUTH_METHODS,
  type OAuthClientAuthMethod,
} from './uid-mapping/oauth-client-credentials.js'
export {
  UID_WIRE_NUMBER_FORMATS,
  createUidMappingClient,
  type UidLookupResult,
  type UidMappingClient,
  type UidMappingClientOptions,
  type UidMappingClientStats,
  type UidWireNumberFormat,
} from './uid-mapping/uid-mapping-client.js'
export {
  MAX_UID_LENGTH,
  UID_MAPPING_MODES,
  UID_MAX_SHARED_DIGITS,
  UID_PATTERN,
  UID_UNRESOLVED_REASONS,
  UidUnresolved,
  type UidMappingMode,
  type UidMappingRequest,
  type UidUnresolvedReason,
} from './uid-mapping/uid-mapping-protocol.js'
export {
  NUMBER_VIEW_KINDS,
  NumberProtector,
  VIEWER_ROLES,
  type NumberProtectorOptions,
  type NumberView,
  type NumberViewKind,
  type ResolveUidRequest,
  type TenantProtection,
  type ViewRequest,
  type Viewer,
  type ViewerRole,
} from './number-protector.js'
export {
  SCREEN_POP_PARAMS,
  SCREEN_POP_TYPES,
  ScreenPopInsecure,
  buildScreenPopUrl,
  type ScreenPopParams,
  type ScreenPopType,
} from './screen-pop-url.js'
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
export { type Masking, type MaskingSettings } from './masking-service.js'
export { redactPhoneNumbers } from './redaction/redact-phone-numbers.js'
