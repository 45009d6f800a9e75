/**
 * The per-tenant consent ledger: who agreed to be called for which purpose, through which
 * channel, from which source, with a reference to the evidence, when, until when, and
 * whether it was revoked.
 *
 * History is kept: a revocation stamps the row (who, when, why) and takes effect at once; a
 * later grant is a new row. Nothing is deleted here (only retention removes rows). Every
 * grant and revocation is written in one transaction with its audit event (`consent.grant` /
 * `consent.revoke`, target `{ type: 'consent', id }`); events and messages carry the consent
 * id, never the number.
 *
 * Numbers are stored normalised to E.164, as the blacklist stores them, not as a keyed hash:
 * the ledger is evidence that has to be shown (to an admin, to the person in an access
 * request, to a regulator) and found by the subject's number in deletion requests, and a
 * hash would make the first impossible. Views follow the masking module's rules per role.
 *
 * Roles: agents and admins grant and revoke (a person tells an agent on a call; revocation
 * must not wait for an admin); every role reads the history, numbers shown per role.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.js'
import { CallwardenError } from '../../errors.js'
import { newSortableId } from '../../lib/sortable-id.js'
import { assertTenantId } from '../../lib/tenant-id.js'
import {
  VIEWER_ROLES,
  type NumberView,
  type NumberViewKind,
  type Viewer,
  type ViewerRole,
  type ViewRequest,
} from '../../masking/number-protector.js'
import { NumberInvalid, normalizeNumber } from '../../masking/phone-number.js'
import { redactText } from '../../masking/redaction/redact-text.js'
import { redactPhoneNumbers } from '../../masking/index.js'
import { REDACTION_LOCALES, type RedactionLocale } from '../../masking/redaction/redaction-kinds.js'
import type { TransactionalAuditSink } from '../blacklist/blacklist-service.js'
import { assertPolicyActor, policyActorOf } from '../policy-actor.js'
import { POLICY_TABLES, policyTenantDb } from '../policy-tables.js'
import {
  ConsentInvalid,
  parseConsentChannel,
  parseConsentEvidence,
  parseConsentExpiry,
  parseConsentGrantedAt,
  parseConsentPurpose,
  parseConsentReason,
  parseConsentSource,
  type ConsentAbsentState,
  type ConsentChannel,
  type ConsentPurpose,
} from './consent-record.js'
import { parseInstant, type InstantInput } from '../../lib/instant.js'
import { assertRequest } from '../../lib/request.js'

const TABLE = POLICY_TABLES.consents

/** Options of {@link ConsentService}. */
export interface ConsentServiceOptions {
  /** The database (guarded or not; the service adds its own tenant guard). */
  readonly db: Kysely<any>
  readonly audit: TransactionalAuditSink
  readonly clock: Clock
  /** The region a tenant's national numbers are read in. */
  readonly regionOf: (tenantId: string) => string | Promise<string>
  /** The masking module's view rules, for {@link ConsentService.history}. */
  readonly protector: {
    view(request: ViewRequest): Promise<NumberView>
  }
}

/** What {@link ConsentService.grant} takes. */
export interface GrantConsentRequest {
  readonly tenantId: string
  /** The person's number, in any accepted notation. */
  readonly number: string
  /** What calls the consent covers. */
  readonly purpose: ConsentPurpose
  /** How the person gave it. */
  readonly channel: ConsentChannel
  /** Where it came from, as an identifier: `crm`, `web:form-42`, `campaign/spring-2030`. */
  readonly source: string
  /** Where the proof is kept (recording key, form submission id, document URL); not the proof itself. */
  readonly evidenceRef: string
  /** When the person gave it; `Date` or ISO 8601, not in the future. @defaultValue now */
  readonly grantedAt?: Date | string
  /** When it lapses; `Date` or ISO 8601. @defaultValue never */
  readonly expiresAt?: Date | string
  /** Who records it (an admin or an agent). */
  readonly by: Viewer
}

/** Which consents {@link ConsentService.revoke} revokes: one by id, or every live one of a number for a purpose. */
export type RevokeConsentTarget =
  | { readonly tenantId: string; readonly id: string }
  | { readonly tenantId: string; readonly number: string; readonly purpose: ConsentPurpose }

/** A consent as stored, without the number. */
export interface Consent {
  readonly id: string
  readonly purpose: ConsentPurpose
  readonly channel: ConsentChannel
  readonly source: string
  readonly evidenceRef: string
  readonly grantedAt: Date
  readonly grantedBy: { readonly id: string; readonly role: string }
  readonly expiresAt?: Date
  readonly revokedAt?: Date
  readonly revokedBy?: { readonly id: string; readonly role: string }
  readonly revokeReason?: string
}

/** What a revocation did. */
export interface ConsentRevocation {
  /** The consents this call revoked (empty when there was nothing live to revoke). */
  readonly revoked: readonly Consent[]
}

/** The outcome of {@link ConsentService.check}. */
export type ConsentCheck =
  | { readonly live: true; readonly consent: Consent }
  | {
      readonly live: false
      /** Why: never granted for the purpose, the latest one expired, or it was revoked. */
      readonly state: ConsentAbsentState
      /** The latest consent for the purpose, when there is one. */
      readonly latestId?: string
    }

/** A number's consent history as a viewer may see it, newest first. */
export interface ConsentHistory {
  /** The number as the viewer may see it. */
  readonly number: string
  readonly numberView: NumberViewKind
  readonly consents: readonly (Consent & { readonly state: 'live' | 'expired' | 'revoked' })[]
}

interface Row {
  tenant_id: string
  id: string
  number: string
  purpose: ConsentPurpose
  channel: ConsentChannel
  source: string
  evidence_ref: string
  granted_at: number | string
  granted_by: string
  granted_by_role: string
  expires_at: number | string | null
  revoked_at: number | string | null
  revoked_by: string | null
  revoked_by_role: string | null
  revoke_reason: string | null
  created_at: number | string
}

const CHANGE_ROLES: readonly ViewerRole[] = ['admin', 'agent']
/** The most history rows {@link ConsentService.history} returns. */
export const MAX_CONSENT_HISTORY = 500

/**
 * The consent ledger of every tenant (`cw.policy.consent`).
 *
 * @example
 * ```ts
 * const agent = { id: 'agent-7', role: 'agent' } as const
 * const consent = await cw.policy.consent.grant({
 *   tenantId: 'acme', number: '+8613988888888', purpose: 'marketing', channel: 'phone',
 *   source: 'inbound-call', evidenceRef: 'recording:call-42', expiresAt: '2031-01-01T00:00:00Z', by: agent,
 * })
 * await cw.policy.consent.check({ tenantId: 'acme', number: '+8613988888888', purpose: 'marketing', at: new Date() })
 * // { live: true, consent: { id: 'cs-…', … } }
 * await cw.policy.consent.revoke({ tenantId: 'acme', number: '+8613988888888', purpose: 'marketing' }, agent, 'asked on call c-9')
 * ```
 */
export class ConsentService {
  readonly #options: ConsentServiceOptions

  constructor(options: ConsentServiceOptions) {
    this.#options = options
  }

  /** Records a consent as a new row. Agents and admins. */
  async grant(request: GrantConsentRequest): Promise<Consent> {
    assertRequest(request, 'consent.grant')
    const { tenantId, by } = request
    assertTenantId(tenantId)
    assertPolicyActor(by, CHANGE_ROLES, 'grant consents')
    const number = await this.#normalize(tenantId, request.number)
    const now = this.#options.clock.now()
    const purpose = parseConsentPurpose(request.purpose)
    const channel = parseConsentChannel(request.channel)
    // Source and evidence are shown in history to agents and auditors who see numbers
    // masked: a number written into them is kept as [PHONE], the rest as given.
    const locale = { locale: redactionLocale(await this.#options.regionOf(tenantId)) }
    const source = redactPhoneNumbers(parseConsentSource(request.source), locale)
    const evidenceRef = redactPhoneNumbers(parseConsentEvidence(request.evidenceRef), locale)
    const grantedAt = parseConsentGrantedAt(request.grantedAt, now)
    const expiresAt = parseConsentExpiry(request.expiresAt, grantedAt, now)
    const row: Row = {
      tenant_id: tenantId,
      id: newSortableId('cs', now.getTime()),
      number,
      purpose,
      channel,
      source,
      evidence_ref: evidenceRef,
      granted_at: grantedAt,
      granted_by: by.id,
      granted_by_role: by.role,
      expires_at: expiresAt ?? null,
      revoked_at: null,
      revoked_by: null,
      revoked_by_role: null,
      revoke_reason: null,
      created_at: now.getTime(),
    }
    await this.#options.db.transaction().execute(async (trx) => {
      await policyTenantDb(trx, tenantId).insertInto(TABLE).values(row).execute()
      await this.#options.audit.append(
        {
          tenantId,
          actor: policyActorOf(by),
          action: 'consent.grant',
          target: { type: 'consent', id: row.id },
          outcome: 'success',
          details: {
            purpose,
            channel,
            source,
            evidenceRef,
            grantedAt: new Date(grantedAt).toISOString(),
            ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() }),
          },
        },
        { trx },
      )
    })
    return consentOf(row)
  }

  /**
   * Revokes one consent by id, or every live consent of a number for a purpose, at once:
   * checks from now on find none. The rows stay, stamped with who, when and why; each
   * revoked row gets a `consent.revoke` event in the same transaction. Revoking a consent
   * that is already revoked changes nothing. `ERR_CONSENT_NOT_FOUND` for an unknown id.
   * Agents and admins.
   */
  async revoke(target: RevokeConsentTarget, by: Viewer, reason?: string): Promise<ConsentRevocation> {
    assertRequest(target, 'consent.revoke', 'target')
    if (target === null || typeof target !== 'object') {
      throw new TypeError('revoke() takes { tenantId, id } or { tenantId, number, purpose }')
    }
    const { tenantId } = target
    assertTenantId(tenantId)
    assertPolicyActor(by, CHANGE_ROLES, 'revoke consents')
    const given = parseConsentReason(reason)
    // A reason is free text typed by people: numbers, ids and card numbers in it are redacted.
    const why =
      given === undefined
        ? undefined
        : redactText(given, { locale: redactionLocale(await this.#options.regionOf(tenantId)) }).text
    let select: (db: Kysely<any>) => Promise<Row[]>
    if ('id' in target) {
      const id: unknown = target.id
      if (typeof id !== 'string') throw new TypeError(`id must be a string, got ${typeof id}`)
      select = async (db) => {
        const rows = (await db
          .selectFrom(TABLE)
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .execute()) as Row[]
        if (rows.length === 0) throw notFound(tenantId, id)
        return rows.filter((r) => r.revoked_at === null)
      }
    } else {
      const number = await this.#normalize(tenantId, target.number)
      const purpose = parseConsentPurpose(target.purpose)
      const now = this.#options.clock.now().getTime()
      select = async (db) =>
        (await db
          .selectFrom(TABLE)
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('number', '=', number)
          .where('purpose', '=', purpose)
          .where('revoked_at', 'is', null)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .limit(MAX_CONSENT_HISTORY)
          .execute()) as Row[]
    }
    return this.#options.db.transaction().execute(async (trx) => {
      const db = policyTenantDb(trx, tenantId)
      const rows = await select(db)
      const now = this.#options.clock.now().getTime()
      const revoked: Consent[] = []
      for (const row of rows) {
        // The `revoked_at is null` condition makes a concurrent second revocation a no-op.
        const result = await db
          .updateTable(TABLE)
          .set({ revoked_at: now, revoked_by: by.id, revoked_by_role: by.role, revoke_reason: why ?? null })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', row.id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst()
        if (Number(result.numUpdatedRows) === 0) continue
        await this.#options.audit.append(
          {
            tenantId,
            actor: policyActorOf(by),
            action: 'consent.revoke',
            target: { type: 'consent', id: row.id },
            outcome: 'success',
            details: { purpose: row.purpose, ...(why === undefined ? {} : { reason: why }) },
          },
          { trx },
        )
        revoked.push(
          consentOf({
            ...row,
            revoked_at: now,
            revoked_by: by.id,
            revoked_by_role: by.role,
            revoke_reason: why ?? null,
          }),
        )
      }
      return { revoked }
    })
  }

  /**
   * Whether a live consent covers calls to `number` for `purpose` at `at` (not revoked, not
   * expired at `at`). A revocation counts whatever `at` says: it takes effect at once. When
   * none is live, `state` says why, judged by the latest consent for the purpose.
   */
  async check(request: {
    readonly tenantId: string
    readonly number: string
    readonly purpose: ConsentPurpose
    /** A Date, epoch ms or RFC 3339. @defaultValue now */
    readonly at?: InstantInput
  }): Promise<ConsentCheck> {
    assertRequest(request, 'consent.check')
    const { tenantId } = request
    assertTenantId(tenantId)
    const number = await this.#normalize(tenantId, request.number)
    const purpose = parseConsentPurpose(request.purpose)
    const at = request.at === undefined ? this.#options.clock.now().getTime() : parseInstant(request.at, 'at')
    const db = policyTenantDb(this.#options.db, tenantId)
    const base = () =>
      db
        .selectFrom(TABLE)
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('number', '=', number)
        .where('purpose', '=', purpose)
    const live = (await base()
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
      .orderBy('granted_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()) as Row | undefined
    if (live !== undefined) return { live: true, consent: consentOf(live) }
    const latest = (await base()
      .orderBy('granted_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()) as Row | undefined
    if (latest === undefined) return { live: false, state: 'none' }
    return {
      live: false,
      state: latest.revoked_at !== null ? 'revoked' : 'expired',
      latestId: latest.id,
    }
  }

  /**
   * Every consent of a number (all purposes, revoked and expired ones included), newest
   * first, at most {@link MAX_CONSENT_HISTORY}. The number is shown as the viewer may see it
   * (admins: real, an audited unmask in `mask`/`uid` tenants; agents: per protection mode;
   * auditors: masked).
   */
  async history(request: {
    readonly tenantId: string
    readonly number: string
    readonly viewer: Viewer
  }): Promise<ConsentHistory> {
    assertRequest(request, 'consent.history')
    const { tenantId, viewer } = request
    assertTenantId(tenantId)
    assertPolicyActor(viewer, VIEWER_ROLES, 'read consent history')
    const number = await this.#normalize(tenantId, request.number)
    const rows = (await policyTenantDb(this.#options.db, tenantId)
      .selectFrom(TABLE)
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('number', '=', number)
      .orderBy('granted_at', 'desc')
      .orderBy('id', 'desc')
      .limit(MAX_CONSENT_HISTORY)
      .execute()) as Row[]
    const shown = await this.#options.protector.view({ tenantId, number, viewer })
    const now = this.#options.clock.now().getTime()
    return {
      number: shown.text,
      numberView: shown.kind,
      consents: rows.map((row) => ({
        ...consentOf(row),
        state:
          row.revoked_at !== null
            ? 'revoked'
            : row.expires_at !== null && Number(row.expires_at) <= now
              ? 'expired'
              : 'live',
      })),
    }
  }

  async #normalize(tenantId: string, number: unknown): Promise<string> {
    if (typeof number !== 'string') {
      throw new TypeError(`number must be a string, got ${number === null ? 'null' : typeof number}`)
    }
    try {
      return normalizeNumber(number, { defaultRegion: await this.#options.regionOf(tenantId) })
    } catch (error) {
      if (!(error instanceof NumberInvalid)) throw error
      throw new ConsentInvalid(
        'number',
        `not a phone number (${error.problem}); allowed: E.164, the '00' platform format or a national number`,
        { cause: error },
      )
    }
  }
}

function consentOf(row: Row): Consent {
  return {
    id: row.id,
    purpose: row.purpose,
    channel: row.channel,
    source: row.source,
    evidenceRef: row.evidence_ref,
    grantedAt: new Date(Number(row.granted_at)),
    grantedBy: { id: row.granted_by, role: row.granted_by_role },
    ...(row.expires_at === null ? {} : { expiresAt: new Date(Number(row.expires_at)) }),
    ...(row.revoked_at === null
      ? {}
      : {
          revokedAt: new Date(Number(row.revoked_at)),
          revokedBy: { id: row.revoked_by ?? '', role: row.revoked_by_role ?? '' },
          ...(row.revoke_reason === null ? {} : { revokeReason: row.revoke_reason }),
        }),
  }
}

function notFound(tenantId: string, id: string): CallwardenError {
  return new CallwardenError(
    'ERR_CONSENT_NOT_FOUND',
    `tenant '${tenantId}' has no consent '${String(id).slice(0, 64)}'`,
  )
}

function redactionLocale(region: string): RedactionLocale {
  return (REDACTION_LOCALES as readonly string[]).includes(region) ? (region as RedactionLocale) : 'CN'
}
