/**
 * Who sees which form of a customer's number. Per tenant, the protection mode decides what
 * agents see; admins see the real number (an audited unmask) and auditors the masked one:
 *
 * | role    | mode `none` | mode `mask` | mode `uid`                      |
 * | ------- | ----------- | ----------- | ------------------------------- |
 * | admin   | real        | real, audited | real, audited                 |
 * | agent   | real        | masked      | UID (fully masked if unmapped)  |
 * | auditor | masked      | masked      | masked                          |
 *
 * Exports follow the requester's role through the same table. Every failure on the way to
 * an agent's view ends in a fully masked number ("withheld"), never the real one.
 *
 * @module
 */
import type { AuditSink, AuditTarget } from '../audit/audit-event.js'
import type { ProtectionMode } from '../store/tenant-registry.js'
import {
  MASK_STYLES,
  maskParsedNumber,
  maskUnreadable,
  type MaskStyle,
  type NumberFormat,
} from './mask-number.js'
import { parseNumber, type ParsedNumber } from './phone-number.js'
import type { UidMappingClient } from './uid-mapping/uid-mapping-client.js'
import { UidUnresolved, uidValueProblem } from './uid-mapping/uid-mapping-protocol.js'

/** The roles a number is shown to. */
export const VIEWER_ROLES = ['admin', 'agent', 'auditor'] as const
/** One role. */
export type ViewerRole = (typeof VIEWER_ROLES)[number]

/** Who is looking. */
export interface Viewer {
  readonly id: string
  readonly role: ViewerRole
  readonly sourceAddress?: string
}

/** What a view shows. */
export const NUMBER_VIEW_KINDS = ['real', 'masked', 'uid', 'withheld'] as const
/** One kind of view. */
export type NumberViewKind = (typeof NUMBER_VIEW_KINDS)[number]

/** A number as one viewer may see it. */
export interface NumberView {
  readonly kind: NumberViewKind
  /** The text to show. */
  readonly text: string
}

/** How a tenant protects numbers. */
export interface TenantProtection {
  readonly mode: ProtectionMode
  /** @defaultValue `'middle4'` */
  readonly style?: MaskStyle
  /** Region national numbers are read in. @defaultValue `'CN'` */
  readonly defaultRegion?: string
}

/** Options of {@link NumberProtector}. */
export interface NumberProtectorOptions {
  /** The tenant's protection settings (from `cw_tenants` and configuration). */
  readonly protectionOf: (tenantId: string) => TenantProtection | Promise<TenantProtection>
  /** The tenant's UID-mapping client, when it has an endpoint. */
  readonly uidClientFor?: (tenantId: string, protection: TenantProtection) => UidMappingClient | undefined
  /** Where unmasking and mapping failures are recorded. */
  readonly audit: AuditSink
  /**
   * How masked numbers are written.
   * @defaultValue `'national'`
   */
  readonly format?: NumberFormat
  /**
   * Called when a failure could not be audited (the view is still withheld).
   * @defaultValue ignore
   */
  readonly onAuditFailure?: (error: unknown) => void
}

/** One request to {@link NumberProtector.view}. */
export interface ViewRequest {
  readonly tenantId: string
  /** The real number, in any accepted notation. */
  readonly number: string
  readonly viewer: Viewer
  /** The call the number belongs to; the audit target when given. */
  readonly callId?: string
}

/** One request to {@link NumberProtector.resolveUid}. */
export interface ResolveUidRequest {
  readonly tenantId: string
  readonly uid: string
  /** Who dials (recorded when resolution fails). */
  readonly actor: Viewer
  readonly callId?: string
}

const UNREADABLE = Symbol('unreadable')

/**
 * Decides and renders what each viewer sees of a number.
 *
 * @example
 * ```ts
 * const protector = new NumberProtector({
 *   protectionOf: async (tenantId) => ({ mode: 'mask' }),
 *   audit: cw.audit,
 * })
 * const view = await protector.view({
 *   tenantId: 'acme',
 *   number: '+8618912348352',
 *   viewer: { id: 'agent-7', role: 'agent' },
 * })
 * // { kind: 'masked', text: '189****8352' }
 * ```
 */
export class NumberProtector {
  readonly #options: NumberProtectorOptions
  readonly #format: NumberFormat

  constructor(options: NumberProtectorOptions) {
    this.#options = options
    this.#format = options.format ?? 'national'
  }

  /**
   * The fully masked form shown when nothing better can be shown safely. Needs no tenant
   * settings and never throws on bad data.
   */
  withheld(number: string, defaultRegion = 'CN'): NumberView {
    return { kind: 'withheld', text: this.#mask(number, defaultRegion, 'all') }
  }

  /** What `request.viewer` may see of `request.number`. */
  async view(request: ViewRequest): Promise<NumberView> {
    const { tenantId, number, viewer } = request
    if (!(VIEWER_ROLES as readonly unknown[]).includes(viewer?.role)) {
      throw new TypeError(`viewer.role must be one of ${VIEWER_ROLES.join(', ')}`)
    }
    const protection = await this.#options.protectionOf(tenantId)
    const region = protection.defaultRegion ?? 'CN'
    const style = protection.style ?? 'middle4'
    if (!(MASK_STYLES as readonly string[]).includes(style) || style === 'none') {
      throw new TypeError(
        `a tenant's mask style must be one of ${MASK_STYLES.filter((s) => s !== 'none').join(', ')}`,
      )
    }
    const masked = (): NumberView => ({ kind: 'masked', text: this.#mask(number, region, style) })
    switch (viewer.role) {
      case 'auditor':
        return masked()
      case 'admin': {
        if (protection.mode === 'none') return { kind: 'real', text: number }
        // The unmask is recorded before the number is shown; no record, no number.
        await this.#options.audit.append({
          tenantId,
          actor: viewer,
          action: 'number.unmask',
          target: this.#target(request.callId, masked().text),
          outcome: 'success',
          details: { mode: protection.mode },
        })
        return { kind: 'real', text: number }
      }
      case 'agent': {
        if (protection.mode === 'none') return { kind: 'real', text: number }
        if (protection.mode === 'mask') return masked()
        return this.#uidView(request, protection, region, style)
      }
    }
  }

  /**
   * The number a UID stands for, to dial it. Fails with `ERR_UID_UNRESOLVED` (and an audit
   * event) when the tenant has no endpoint or the endpoint cannot resolve it.
   */
  async resolveUid(request: ResolveUidRequest): Promise<string> {
    const protection = await this.#options.protectionOf(request.tenantId)
    const client = this.#options.uidClientFor?.(request.tenantId, protection)
    try {
      if (client === undefined) {
        throw new UidUnresolved('UIDToPhone', 'not_configured', 'the tenant has no UID endpoint configured')
      }
      const numbers = await client.uidToPhone([request.uid])
      const number = numbers.get(request.uid)
      const parsed =
        typeof number === 'string' ? this.#parse(number, protection.defaultRegion ?? 'CN') : UNREADABLE
      if (parsed === UNREADABLE) {
        throw new UidUnresolved('UIDToPhone', 'invalid_response', 'the number returned is not a phone number')
      }
      return parsed.e164
    } catch (error) {
      const failure =
        error instanceof UidUnresolved
          ? error
          : new UidUnresolved('UIDToPhone', 'unavailable', 'the mapping failed unexpectedly', {
              cause: error,
            })
      await this.#auditFailure(
        request.tenantId,
        request.actor,
        this.#target(request.callId, request.uid),
        failure,
      )
      throw failure
    }
  }

  async #uidView(
    request: ViewRequest,
    protection: TenantProtection,
    region: string,
    style: MaskStyle,
  ): Promise<NumberView> {
    const client = this.#options.uidClientFor?.(request.tenantId, protection)
    const parsed = this.#parse(request.number, region)
    let failure: UidUnresolved
    if (client === undefined) {
      failure = new UidUnresolved('PhoneToUID', 'not_configured', 'the tenant has no UID endpoint configured')
    } else if (parsed === UNREADABLE) {
      failure = new UidUnresolved('PhoneToUID', 'invalid_input', 'the input is not a phone number')
    } else {
      try {
        const uids = await client.phoneToUid([parsed.e164])
        const uid = uids.get(parsed.e164)
        // The client may be the host's own: what reaches the agent is checked here too.
        const problem = uidValueProblem(uid, parsed)
        if (problem !== undefined) {
          throw new UidUnresolved('PhoneToUID', 'invalid_response', `the UID returned is refused: ${problem}`)
        }
        return { kind: 'uid', text: uid as string }
      } catch (error) {
        failure =
          error instanceof UidUnresolved
            ? error
            : new UidUnresolved('PhoneToUID', 'unavailable', 'the mapping failed unexpectedly', {
                cause: error,
              })
      }
    }
    const masked = this.#mask(request.number, region, style)
    await this.#auditFailure(request.tenantId, request.viewer, this.#target(request.callId, masked), failure)
    return this.withheld(request.number, region)
  }

  async #auditFailure(
    tenantId: string,
    actor: Viewer,
    target: AuditTarget,
    failure: UidUnresolved,
  ): Promise<void> {
    try {
      await this.#options.audit.append({
        tenantId,
        actor,
        action: 'number.uid.unresolved',
        target,
        outcome: 'failure',
        reason: failure.code,
        details: { mode: failure.mode, reason: failure.reason },
      })
    } catch (error) {
      this.#options.onAuditFailure?.(error)
    }
  }

  #target(callId: string | undefined, fallback: string): AuditTarget {
    return callId === undefined ? { type: 'number', id: fallback } : { type: 'call', id: callId }
  }

  #mask(number: string, region: string, style: MaskStyle): string {
    const parsed = this.#parse(number, region)
    return parsed === UNREADABLE ? maskUnreadable(number) : maskParsedNumber(parsed, style, this.#format)
  }

  #parse(number: string, region: string): ParsedNumber | typeof UNREADABLE {
    try {
      // parseNumber remembers recent parses, so repeated views skip libphonenumber.
      return parseNumber(number, { defaultRegion: region })
    } catch (error) {
      if (error instanceof TypeError) throw error
      return UNREADABLE
    }
  }
}
