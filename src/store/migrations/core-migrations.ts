/**
 * Migrations of callwarden's own `cw_` tables. Append only: a released migration never
 * changes; a change is a new migration.
 *
 * @module
 */
import { sql, type Kysely, type Migration } from 'kysely'
import type { SqlDialect } from '../database.js'
import { addColumnIfAbsent, checkIn, createIndexIfAbsent } from './schema-helpers.js'

// Closed sets as they were when this migration was written. A migration is frozen: if the
// sets in the code change, a new migration changes the constraints (a test compares them).
/** @internal */
export const TENANT_STATUSES_0001 = ['active', 'suspended', 'terminated'] as const
/** @internal */
export const PROTECTION_MODES_0001 = ['none', 'mask', 'uid'] as const
/** @internal */
export const AUDIT_OUTCOMES_0002 = ['success', 'failure', 'denied'] as const
/** @internal */
export const BLACKLIST_DIRECTIONS_0003 = ['inbound', 'outbound', 'both'] as const
/** @internal */
export const BLACKLIST_KINDS_0003 = ['exact', 'prefix'] as const
/** @internal */
export const CONSENT_PURPOSES_0004 = ['callback', 'consultation', 'service', 'marketing'] as const
/** @internal */
export const CONSENT_CHANNELS_0004 = [
  'phone',
  'ivr',
  'sms',
  'email',
  'web',
  'app',
  'in_person',
  'written',
] as const

/** The migrations of callwarden's own tables, by name (names sort in order). */
export function coreMigrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    '0001_tenants_and_leases': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('cw_tenants')
          .ifNotExists()
          .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(200)', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) =>
            c.notNull().check(checkIn('status', TENANT_STATUSES_0001)),
          )
          .addColumn('protection_mode', 'varchar(8)', (c) =>
            c.notNull().check(checkIn('protection_mode', PROTECTION_MODES_0001)),
          )
          .addColumn('default_region', 'varchar(2)', (c) => c.notNull())
          .addColumn('allowed_regions', 'varchar(400)', (c) => c.notNull())
          .addColumn('retention_preset', 'varchar(40)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('terminated_at', 'bigint')
          .execute()

        await db.schema
          .createTable('cw_job_leases')
          .ifNotExists()
          .addColumn('name', 'varchar(191)', (c) => c.primaryKey())
          .addColumn('owner', 'varchar(191)', (c) => c.notNull())
          // The fencing token only ever grows: every acquisition by a new owner increments it.
          .addColumn('token', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('acquired_at', 'bigint', (c) => c.notNull())
          .addColumn('renewed_at', 'bigint', (c) => c.notNull())
          .execute()
        await createIndexIfAbsent(db, dialect, 'cw_tenants_status', 'cw_tenants', ['status'])
      },
    },
    '0002_audit': {
      async up(db: Kysely<any>) {
        // The hashed event is `body` (canonical JSON); the other columns copy fields of it
        // for keyed queries and are checked against it by verification.
        await db.schema
          .createTable('cw_audit_events')
          .ifNotExists()
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('id', 'varchar(36)', (c) => c.notNull())
          .addColumn('time', 'bigint', (c) => c.notNull())
          .addColumn('actor_id', 'varchar(191)', (c) => c.notNull())
          .addColumn('actor_role', 'varchar(64)', (c) => c.notNull())
          .addColumn('action', 'varchar(100)', (c) => c.notNull())
          .addColumn('target_type', 'varchar(64)', (c) => c.notNull())
          .addColumn('target_id', 'varchar(191)', (c) => c.notNull())
          .addColumn('outcome', 'varchar(16)', (c) =>
            c.notNull().check(checkIn('outcome', AUDIT_OUTCOMES_0002)),
          )
          .addColumn('body', dialect === 'mysql' ? sql`mediumtext` : 'text', (c) => c.notNull())
          .addColumn('hash', 'char(64)', (c) => c.notNull())
          // The backstop against forks: one event per tenant and sequence number.
          .addPrimaryKeyConstraint('cw_audit_events_pk', ['tenant_id', 'seq'])
          .execute()
        for (const [name, column] of [
          ['time', 'time'],
          ['actor', 'actor_id'],
          ['action', 'action'],
          ['target', 'target_id'],
        ] as const) {
          await createIndexIfAbsent(db, dialect, `cw_audit_events_${name}`, 'cw_audit_events', [
            'tenant_id',
            column,
          ])
        }

        // One row per tenant: the head of its chain, locked by every append transaction.
        await db.schema
          .createTable('cw_audit_heads')
          .ifNotExists()
          .addColumn('tenant_id', 'varchar(40)', (c) => c.primaryKey())
          .addColumn('last_seq', 'bigint', (c) => c.notNull())
          .addColumn('last_hash', 'char(64)', (c) => c.notNull())
          // Events up to here were removed by retention; a signed checkpoint ends there.
          .addColumn('purged_through_seq', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute()

        await db.schema
          .createTable('cw_audit_checkpoints')
          .ifNotExists()
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .addColumn('from_seq', 'bigint', (c) => c.notNull())
          .addColumn('to_seq', 'bigint', (c) => c.notNull())
          .addColumn('head_hash', 'char(64)', (c) => c.notNull())
          .addColumn('merkle_root', 'char(64)', (c) => c.notNull())
          .addColumn('kid', 'varchar(191)', (c) => c.notNull())
          .addColumn('jws', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('anchor_key', 'varchar(512)')
          .addColumn('anchor_locked_until', 'bigint')
          .addColumn('anchored_at', 'bigint')
          .addPrimaryKeyConstraint('cw_audit_checkpoints_pk', ['tenant_id', 'n'])
          .addUniqueConstraint('cw_audit_checkpoints_to_seq', ['tenant_id', 'to_seq'])
          .execute()
      },
    },
    '0003_policy': {
      async up(db: Kysely<any>) {
        // One row per number (kind `exact`, E.164) or number prefix (kind `prefix`, `+` and
        // digits, no `*`). A lookup asks for every prefix of the number in one keyed query,
        // which the unique (tenant_id, pattern, kind) index answers.
        await db.schema
          .createTable('cw_blacklist')
          .ifNotExists()
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('id', 'varchar(40)', (c) => c.notNull())
          .addColumn('kind', 'varchar(8)', (c) => c.notNull().check(checkIn('kind', BLACKLIST_KINDS_0003)))
          .addColumn('pattern', 'varchar(32)', (c) => c.notNull())
          .addColumn('direction', 'varchar(8)', (c) =>
            c.notNull().check(checkIn('direction', BLACKLIST_DIRECTIONS_0003)),
          )
          .addColumn('reason', 'varchar(500)')
          .addColumn('added_by', 'varchar(191)', (c) => c.notNull())
          .addColumn('added_by_role', 'varchar(64)', (c) => c.notNull())
          .addColumn('source_call_id', 'varchar(128)')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addPrimaryKeyConstraint('cw_blacklist_pk', ['tenant_id', 'id'])
          .addUniqueConstraint('cw_blacklist_pattern', ['tenant_id', 'pattern', 'kind'])
          .execute()
      },
    },
    '0004_policy_ledgers': {
      async up(db: Kysely<any>) {
        // The consent ledger: one row per grant, never updated except to stamp a revocation.
        // Numbers in E.164. Checks ask for (tenant, number, purpose).
        await db.schema
          .createTable('cw_consents')
          .ifNotExists()
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('id', 'varchar(40)', (c) => c.notNull())
          .addColumn('number', 'varchar(32)', (c) => c.notNull())
          .addColumn('purpose', 'varchar(16)', (c) =>
            c.notNull().check(checkIn('purpose', CONSENT_PURPOSES_0004)),
          )
          .addColumn('channel', 'varchar(16)', (c) =>
            c.notNull().check(checkIn('channel', CONSENT_CHANNELS_0004)),
          )
          .addColumn('source', 'varchar(100)', (c) => c.notNull())
          .addColumn('evidence_ref', 'varchar(500)', (c) => c.notNull())
          .addColumn('granted_at', 'bigint', (c) => c.notNull())
          .addColumn('granted_by', 'varchar(191)', (c) => c.notNull())
          .addColumn('granted_by_role', 'varchar(64)', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .addColumn('revoked_by', 'varchar(191)')
          .addColumn('revoked_by_role', 'varchar(64)')
          .addColumn('revoke_reason', 'varchar(500)')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('cw_consents_pk', ['tenant_id', 'id'])
          .execute()
        await createIndexIfAbsent(db, dialect, 'cw_consents_number', 'cw_consents', [
          'tenant_id',
          'number',
          'purpose',
          'granted_at',
        ])

        // Attempt decisions on one number lock its head row, then count and insert attempts.
        // The number is kept only as a keyed hash (HMAC-SHA256 with a per-tenant key).
        await db.schema
          .createTable('cw_call_attempt_heads')
          .ifNotExists()
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('number_key', 'char(64)', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('cw_call_attempt_heads_pk', ['tenant_id', 'number_key'])
          .execute()
        await createIndexIfAbsent(db, dialect, 'cw_call_attempt_heads_updated', 'cw_call_attempt_heads', [
          'tenant_id',
          'updated_at',
        ])
        await db.schema
          .createTable('cw_call_attempts')
          .ifNotExists()
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('id', 'varchar(40)', (c) => c.notNull())
          .addColumn('number_key', 'char(64)', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('call_id', 'varchar(128)')
          .addPrimaryKeyConstraint('cw_call_attempts_pk', ['tenant_id', 'id'])
          .execute()
        await createIndexIfAbsent(db, dialect, 'cw_call_attempts_number', 'cw_call_attempts', [
          'tenant_id',
          'number_key',
          'at',
        ])
        await createIndexIfAbsent(db, dialect, 'cw_call_attempts_at', 'cw_call_attempts', ['tenant_id', 'at'])

        // Announced bursts: a tenant's higher call rate for a period.
        await db.schema
          .createTable('cw_burst_announcements')
          .ifNotExists()
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('id', 'varchar(40)', (c) => c.notNull())
          .addColumn('max_per_second', 'integer', (c) => c.notNull())
          .addColumn('starts_at', 'bigint', (c) => c.notNull())
          .addColumn('ends_at', 'bigint', (c) => c.notNull())
          .addColumn('announced_by', 'varchar(191)', (c) => c.notNull())
          .addColumn('announced_by_role', 'varchar(64)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('cw_burst_announcements_pk', ['tenant_id', 'id'])
          .execute()
        await createIndexIfAbsent(db, dialect, 'cw_burst_announcements_ends', 'cw_burst_announcements', [
          'tenant_id',
          'ends_at',
        ])
      },
    },
    '0005_list_versions': {
      async up(db: Kysely<any>) {
        // One counter per tenant and list, bumped in the transaction of every change to the
        // list, so that in-memory copies in other processes notice the change.
        await db.schema
          .createTable('cw_list_versions')
          .ifNotExists()
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('list', 'varchar(32)', (c) => c.notNull())
          .addColumn('version', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('cw_list_versions_pk', ['tenant_id', 'list'])
          .execute()
      },
    },
    '0006_checkpoint_hashes': {
      async up(db: Kysely<any>) {
        // The chain hashes of a version 3 checkpoint's range, 32 bytes each in sequence order,
        // whose digest the checkpoint signs: verification reads them to name the first event
        // of a rewritten range. Null for version 1 and 2 checkpoints. A range holds at most
        // 100,000 events (3.2 MB); longblob leaves room beyond MariaDB's 64 KiB blob.
        await addColumnIfAbsent(
          db,
          dialect,
          'cw_audit_checkpoints',
          'hashes',
          dialect === 'mysql' ? sql`longblob` : 'blob',
        )
      },
    },
  }
}
