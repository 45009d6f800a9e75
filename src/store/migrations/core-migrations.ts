/**
 * Migrations of callwarden's own `cw_` tables. Append only: a released migration never
 * changes; a change is a new migration.
 *
 * @module
 */
import type { Kysely, Migration } from 'kysely'
import type { SqlDialect } from '../database.js'
import { checkIn, createIndexIfAbsent } from './schema-helpers.js'

// Closed sets as they were when this migration was written. A migration is frozen: if the
// sets in the code change, a new migration changes the constraints (a test compares them).
/** @internal */
export const TENANT_STATUSES_0001 = ['active', 'suspended', 'terminated'] as const
/** @internal */
export const PROTECTION_MODES_0001 = ['none', 'mask', 'uid'] as const

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
  }
}
