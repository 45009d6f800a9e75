/**
 * Migrations of the reference contact-center schema (REFERENCE_TABLES). Kept apart from
 * callwarden's own tables: a host with its own schema never runs them.
 *
 * @module
 */
import { sql, type Kysely, type Migration } from 'kysely'
import { addIdColumn } from '../dialect-helpers.js'
import type { SqlDialect } from '../database.js'
import { REFERENCE_TABLES as T } from '../reference-schema.js'
import { checkIn, createIndexIfAbsent } from './schema-helpers.js'

// Closed sets as they were when this migration was written (see core-migrations.ts).
/** @internal */
export const REFERENCE_SETS_0001 = {
  directions: ['inbound', 'outbound'],
  agentTerminals: ['pc', 'phone'],
  hangupSides: ['agent', 'customer'],
  satisfaction: ['satisfied', 'neutral', 'dissatisfied', 'unrated'],
  inboundAccessStatuses: [
    'normal_end',
    'not_connected',
    'agent_missed',
    'agent_transfer',
    'external_transfer',
    'ivr_abandoned',
    'ended_after_ivr',
    'queue_abandoned',
    'ringing_abandoned',
    'no_agent_online',
    'outside_working_hours',
    'system_error',
  ],
  outboundAccessStatuses: [
    'unknown',
    'no_answer',
    'rejected',
    'powered_off',
    'not_in_service',
    'busy',
    'arrears',
    'carrier_line_fault',
    'caller_cancelled',
    'out_of_coverage',
  ],
} as const
const S = REFERENCE_SETS_0001

/** The reference schema's migrations, by name. */
export function referenceMigrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    '0001_reference_contact_center': {
      async up(db: Kysely<any>) {
        await addIdColumn(db.schema.createTable(T.serviceRecords).ifNotExists(), dialect)
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('call_id', 'varchar(128)', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('direction', 'varchar(8)', (c) => c.notNull().check(checkIn('direction', S.directions)))
          .addColumn('agent_terminal', 'varchar(8)', (c) =>
            c.check(checkIn('agent_terminal', S.agentTerminals)),
          )
          .addColumn('caller', 'varchar(32)', (c) => c.notNull())
          .addColumn('callee', 'varchar(32)', (c) => c.notNull())
          .addColumn('remark', 'text')
          .addColumn('access_status', 'varchar(32)', (c) => c.notNull())
          .addColumn('duration_s', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('agent_name', 'varchar(128)')
          .addColumn('agent_staff_id', 'varchar(64)')
          .addColumn('skill_group', 'varchar(128)')
          .addColumn('satisfaction', 'varchar(16)', (c) => c.check(checkIn('satisfaction', S.satisfaction)))
          .addColumn('hangup_side', 'varchar(8)', (c) => c.check(checkIn('hangup_side', S.hangupSides)))
          .addColumn('voicemail_key', 'varchar(512)')
          // The access status is a closed set that depends on the direction.
          .addCheckConstraint(
            'cc_service_records_access_status',
            sql`(direction = 'inbound' and ${checkIn('access_status', S.inboundAccessStatuses)})
             or (direction = 'outbound' and ${checkIn('access_status', S.outboundAccessStatuses)})`,
          )
          .execute()
        await createIndexIfAbsent(db, dialect, 'cc_service_records_tenant_time', T.serviceRecords, [
          'tenant_id',
          'started_at',
        ])
        await createIndexIfAbsent(db, dialect, 'cc_service_records_tenant_caller', T.serviceRecords, [
          'tenant_id',
          'caller',
        ])
        await createIndexIfAbsent(db, dialect, 'cc_service_records_tenant_callee', T.serviceRecords, [
          'tenant_id',
          'callee',
        ])

        await addIdColumn(db.schema.createTable(T.recordings).ifNotExists(), dialect)
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('service_record_id', 'bigint')
          .addColumn('call_id', 'varchar(128)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('customer_number', 'varchar(32)', (c) => c.notNull())
          .addColumn('blob_key', 'varchar(512)', (c) => c.notNull())
          .addColumn('format', 'varchar(8)', (c) => c.notNull().defaultTo('mp3'))
          .addColumn('duration_s', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute()
        await createIndexIfAbsent(db, dialect, 'cc_recordings_tenant_time', T.recordings, [
          'tenant_id',
          'created_at',
        ])
        await createIndexIfAbsent(db, dialect, 'cc_recordings_tenant_customer', T.recordings, [
          'tenant_id',
          'customer_number',
        ])

        await addIdColumn(db.schema.createTable(T.ivrInputs).ifNotExists(), dialect)
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('call_id', 'varchar(128)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('caller', 'varchar(32)', (c) => c.notNull())
          .addColumn('variable', 'varchar(64)', (c) => c.notNull())
          .addColumn('value', 'varchar(512)', (c) => c.notNull())
          // A keyed hash of the raw input, so inputs can be matched without being stored.
          .addColumn('value_hash', 'varchar(64)')
          .execute()
        await createIndexIfAbsent(db, dialect, 'cc_ivr_inputs_tenant_time', T.ivrInputs, [
          'tenant_id',
          'created_at',
        ])

        await addIdColumn(db.schema.createTable(T.agents).ifNotExists(), dialect)
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('staff_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('name', 'varchar(128)', (c) => c.notNull())
          .addColumn('nickname', 'varchar(128)')
          .addColumn('phone', 'varchar(32)')
          .addColumn('email', 'varchar(254)')
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('role', 'varchar(64)', (c) => c.notNull())
          .addColumn('skill_group', 'varchar(128)')
          .addColumn('devices', 'varchar(512)')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('cc_agents_tenant_staff', ['tenant_id', 'staff_id'])
          .execute()

        await addIdColumn(db.schema.createTable(T.agentStateLogs).ifNotExists(), dialect)
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('agent_staff_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('state', 'varchar(32)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute()
        await createIndexIfAbsent(db, dialect, 'cc_agent_state_logs_tenant_time', T.agentStateLogs, [
          'tenant_id',
          'created_at',
        ])

        await addIdColumn(db.schema.createTable(T.operationLogs).ifNotExists(), dialect)
          .addColumn('tenant_id', 'varchar(40)', (c) => c.notNull())
          .addColumn('operator_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('action', 'varchar(64)', (c) => c.notNull())
          .addColumn('target', 'varchar(255)')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute()
        await createIndexIfAbsent(db, dialect, 'cc_operation_logs_tenant_time', T.operationLogs, [
          'tenant_id',
          'created_at',
        ])
      },
    },
    '0002_service_records_call_id': {
      async up(db: Kysely<any>) {
        // Finding a call's record by its id (blacklisting the caller of a call, deletion
        // requests by call) is a keyed read, not a scan of the tenant's records.
        await createIndexIfAbsent(db, dialect, 'cc_service_records_tenant_call', T.serviceRecords, [
          'tenant_id',
          'call_id',
        ])
      },
    },
  }
}
