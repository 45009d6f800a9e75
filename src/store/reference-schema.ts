/**
 * The reference contact-center schema: the tables a contact center keeps about its calls
 * and agents (modelled on the service-record export of TCCC and Clink), and their
 * dataset declarations. The demo and the tests use it; a host may use it as-is or declare
 * its own tables instead.
 *
 * @module
 */
import type { DatasetDeclarationInput } from './data-map/dataset.js'

/** Call directions. */
export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const
/** One call direction. */
export type CallDirection = (typeof CALL_DIRECTIONS)[number]

/** Access status of an inbound call, as the platform's export lists them. */
export const INBOUND_ACCESS_STATUSES = [
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
] as const

/** Access status of an outbound call, as the platform's export lists them. */
export const OUTBOUND_ACCESS_STATUSES = [
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
] as const

/** One access status. */
export type AccessStatus =
  (typeof INBOUND_ACCESS_STATUSES)[number] | (typeof OUTBOUND_ACCESS_STATUSES)[number]

/** The agent's terminal. */
export const AGENT_TERMINALS = ['pc', 'phone'] as const
/** Which side hung up. */
export const HANGUP_SIDES = ['agent', 'customer'] as const
/** Customer satisfaction as rated after the call. */
export const SATISFACTION_VALUES = ['satisfied', 'neutral', 'dissatisfied', 'unrated'] as const

/** Table names of the reference schema. */
export const REFERENCE_TABLES = {
  serviceRecords: 'cc_service_records',
  recordings: 'cc_recordings',
  ivrInputs: 'cc_ivr_inputs',
  agents: 'cc_agents',
  agentStateLogs: 'cc_agent_state_logs',
  operationLogs: 'cc_operation_logs',
} as const

/** A row of `cc_service_records`. Times are epoch milliseconds. */
export interface ServiceRecordRow {
  id: number
  tenant_id: string
  call_id: string
  started_at: number
  direction: CallDirection
  agent_terminal: (typeof AGENT_TERMINALS)[number] | null
  caller: string
  callee: string
  remark: string | null
  access_status: AccessStatus
  duration_s: number
  agent_name: string | null
  agent_staff_id: string | null
  skill_group: string | null
  satisfaction: (typeof SATISFACTION_VALUES)[number] | null
  hangup_side: (typeof HANGUP_SIDES)[number] | null
  voicemail_key: string | null
}

/** The dataset declarations of the reference schema. */
export const REFERENCE_DATASETS: readonly DatasetDeclarationInput[] = Object.freeze([
  {
    name: 'service_records',
    table: REFERENCE_TABLES.serviceRecords,
    primaryKey: 'id',
    tenantColumn: 'tenant_id',
    timeColumn: 'started_at',
    category: 'call_analytics',
    subjectColumns: [
      { column: 'caller', kind: 'phone' },
      { column: 'callee', kind: 'phone' },
      { column: 'agent_staff_id', kind: 'agent' },
    ],
    piiColumns: [
      { column: 'caller', kind: 'phone' },
      { column: 'callee', kind: 'phone' },
      { column: 'remark', kind: 'free_text' },
      { column: 'agent_name', kind: 'name' },
    ],
    blobKeyColumns: ['voicemail_key'],
  },
  {
    name: 'recordings',
    table: REFERENCE_TABLES.recordings,
    primaryKey: 'id',
    tenantColumn: 'tenant_id',
    timeColumn: 'created_at',
    category: 'call_data',
    subjectColumns: [{ column: 'customer_number', kind: 'phone' }],
    piiColumns: [{ column: 'customer_number', kind: 'phone' }],
    blobKeyColumns: ['blob_key'],
  },
  {
    name: 'ivr_inputs',
    table: REFERENCE_TABLES.ivrInputs,
    primaryKey: 'id',
    tenantColumn: 'tenant_id',
    timeColumn: 'created_at',
    category: 'call_data',
    subjectColumns: [{ column: 'caller', kind: 'phone' }],
    piiColumns: [
      { column: 'caller', kind: 'phone' },
      { column: 'value', kind: 'dtmf' },
    ],
  },
  {
    name: 'agents',
    table: REFERENCE_TABLES.agents,
    primaryKey: 'id',
    tenantColumn: 'tenant_id',
    timeColumn: 'updated_at',
    category: 'agent_info',
    subjectColumns: [{ column: 'staff_id', kind: 'agent' }],
    piiColumns: [
      { column: 'name', kind: 'name' },
      { column: 'nickname', kind: 'name' },
      { column: 'phone', kind: 'phone' },
      { column: 'email', kind: 'email' },
    ],
  },
  {
    name: 'agent_state_logs',
    table: REFERENCE_TABLES.agentStateLogs,
    primaryKey: 'id',
    tenantColumn: 'tenant_id',
    timeColumn: 'created_at',
    category: 'logs',
    subjectColumns: [{ column: 'agent_staff_id', kind: 'agent' }],
  },
  {
    name: 'operation_logs',
    table: REFERENCE_TABLES.operationLogs,
    primaryKey: 'id',
    tenantColumn: 'tenant_id',
    timeColumn: 'created_at',
    category: 'logs',
    subjectColumns: [{ column: 'operator_id', kind: 'agent' }],
  },
])
