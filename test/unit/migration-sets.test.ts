/**
 * Migrations are frozen, so they carry their own copies of the closed sets they enforce.
 * This test fails when a set in the code moves away from what the database enforces: the
 * fix is a new migration, not an edit of an old one.
 */
import { describe, expect, it } from 'vitest'
import {
  AUDIT_OUTCOMES_0002,
  BLACKLIST_DIRECTIONS_0003,
  BLACKLIST_KINDS_0003,
  CONSENT_CHANNELS_0004,
  CONSENT_PURPOSES_0004,
  PROTECTION_MODES_0001,
  TENANT_STATUSES_0001,
} from '../../src/store/migrations/core-migrations.js'
import { AUDIT_OUTCOMES } from '../../src/audit/audit-event.js'
import { BLACKLIST_DIRECTIONS, BLACKLIST_KINDS } from '../../src/policy/blacklist/blacklist-entry.js'
import { CONSENT_CHANNELS, CONSENT_PURPOSES } from '../../src/policy/consent/consent-record.js'
import { REFERENCE_SETS_0001 } from '../../src/store/migrations/reference-migrations.js'
import {
  AGENT_TERMINALS,
  CALL_DIRECTIONS,
  HANGUP_SIDES,
  INBOUND_ACCESS_STATUSES,
  OUTBOUND_ACCESS_STATUSES,
  SATISFACTION_VALUES,
} from '../../src/store/reference-schema.js'
import { PROTECTION_MODES, TENANT_STATUSES } from '../../src/store/tenant-registry.js'

describe('closed sets enforced by migrations', () => {
  it('match the sets in the code', () => {
    expect(TENANT_STATUSES_0001).toEqual(TENANT_STATUSES)
    expect(PROTECTION_MODES_0001).toEqual(PROTECTION_MODES)
    expect(AUDIT_OUTCOMES_0002).toEqual(AUDIT_OUTCOMES)
    expect(BLACKLIST_DIRECTIONS_0003).toEqual(BLACKLIST_DIRECTIONS)
    expect(BLACKLIST_KINDS_0003).toEqual(BLACKLIST_KINDS)
    expect(CONSENT_PURPOSES_0004).toEqual(CONSENT_PURPOSES)
    expect(CONSENT_CHANNELS_0004).toEqual(CONSENT_CHANNELS)
    expect(REFERENCE_SETS_0001).toEqual({
      directions: CALL_DIRECTIONS,
      agentTerminals: AGENT_TERMINALS,
      hangupSides: HANGUP_SIDES,
      satisfaction: SATISFACTION_VALUES,
      inboundAccessStatuses: INBOUND_ACCESS_STATUSES,
      outboundAccessStatuses: OUTBOUND_ACCESS_STATUSES,
    })
  })
})
