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
  UID_UNRESOLVED_REASONS,
  UidUnresolved,
  type UidMappingMode,
  type UidMappingRequest,
  type UidUnresolvedReason,
} from './uid-mapping/uid-mapping-protocol.js'
