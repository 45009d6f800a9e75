/**
 * The migration runner: callwarden's own tables, then (optionally) the reference
 * contact-center schema, each tracked in its own bookkeeping table so that a host without
 * the reference schema never sees it.
 *
 * @module
 */
import { Migrator, type Migration, type MigrationResult } from 'kysely'
import { CallwardenError, StorageUnavailable } from '../../errors.js'
import type { Database } from '../database.js'
import { coreMigrations } from './core-migrations.js'
import { referenceMigrations } from './reference-migrations.js'

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * Also create the reference contact-center schema.
   * @defaultValue true
   */
  readonly referenceSchema?: boolean
}

/** What {@link migrate} did, per migration set. */
export interface MigrateReport {
  readonly applied: readonly string[]
  readonly alreadyApplied: number
}

/**
 * Brings the schema up to date. Idempotent: applied migrations are skipped, and each
 * migration is itself safe to re-run after an interruption.
 *
 * @example
 * ```ts
 * const report = await migrate(database) // { applied: ['core/0001_tenants_and_leases', ...] }
 * ```
 */
export async function migrate(database: Database, options: MigrateOptions = {}): Promise<MigrateReport> {
  const sets: [string, Record<string, Migration>][] = [['core', coreMigrations(database.dialect)]]
  if (options.referenceSchema ?? true) sets.push(['reference', referenceMigrations(database.dialect)])
  const applied: string[] = []
  let alreadyApplied = 0
  for (const [set, migrations] of sets) {
    const migrator = new Migrator({
      db: database.db,
      provider: { getMigrations: async () => migrations },
      migrationTableName: `cw_migrations_${set}`,
      migrationLockTableName: `cw_migrations_${set}_lock`,
    })
    const { error, results = [] } = await migrator.migrateToLatest()
    const failed = results.find((r: MigrationResult) => r.status === 'Error')
    // A database that cannot be reached or is locked is reported as such: trying again later
    // is the remedy, not repairing a migration.
    if (error instanceof StorageUnavailable) throw error
    if (error !== undefined) {
      throw new CallwardenError(
        'ERR_MIGRATION_FAILED',
        `migration ${set}/${failed?.migrationName ?? '(setup)'} failed on ${database.displayUrl}: ${describe(error)}`,
        { cause: error },
      )
    }
    for (const r of results) if (r.status === 'Success') applied.push(`${set}/${r.migrationName}`)
    alreadyApplied += Object.keys(migrations).length - results.length
  }
  return { applied, alreadyApplied }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
