#!/usr/bin/env node
/**
 * The `callwarden` command line: a thin shell over the library. Exit code 0 on success;
 * on failure one line `ERR_*: message` on standard error and a non-zero exit code.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { verifyBundle } from '../audit/audit-bundle.js'
import { parseJwks } from '../audit/audit-keys.js'
import { assertProofShape, verifyInclusionProof } from '../audit/audit-proof.js'
import { Command, CommanderError } from 'commander'
import { createCallwarden, type Callwarden } from '../index.js'
import { CallwardenError, type CallwardenErrorCode } from '../errors.js'
import { loadConfig } from '../config.js'
import { writePrivateFile } from '../lib/private-file.js'
import { redactSecrets } from '../lib/redact-secrets.js'
import { readFileUpTo, withoutByteOrderMark } from '../lib/text-input.js'
import type { BlacklistDirection } from '../policy/blacklist/blacklist-entry.js'
import { OUTBOUND_PURPOSES, type OutboundPurpose } from '../pipeline/call-events.js'
import { eventInstant } from '../pipeline/pipeline.js'
import { INSTANT_FORMS, readInstant } from '../lib/instant.js'
import { openDatabase } from '../store/database.js'
import { migrate } from '../store/migrations/migrate.js'
import { seedDemoData } from './demo-data.js'

// The pinned AWS SDK warns on Node 20 that *later* SDK releases will need Node 22; the CLI's
// output is for the operator, so it stays quiet unless the operator asked for the warning.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const program = new Command()
  .name('callwarden')
  .description('Compliance, privacy and data-lifecycle layer for cloud contact centers.')
  .option('-c, --config <file>', 'configuration file (default: ./callwarden.config.json if present)')
  .showHelpAfterError()
  .exitOverride()

program
  .command('migrate')
  .description("create or update callwarden's tables (and the reference schema unless disabled)")
  .action(async () => {
    const file = configFile()?.configFile
    const config = loadConfig(file === undefined ? {} : { file })
    const database = openDatabase(config.databaseUrl, { poolSize: 2 })
    try {
      const report = await migrate(database, { referenceSchema: config.referenceSchema })
      print(`database: ${database.displayUrl}`)
      print(
        `migrations applied: ${report.applied.length === 0 ? 'none (up to date)' : report.applied.join(', ')}`,
      )
    } finally {
      await database.close()
    }
  })

program
  .command('demo')
  .description(
    'migrate the configured store, seed a demo tenant and run an outbound call through the pipeline',
  )
  .option('--records <n>', 'service records to seed', (v) => positiveInt(v, '--records'), 3000)
  .action(async (options: { records: number }) => {
    const cw = await createCallwarden({}, configFile() ?? {})
    try {
      await runDemo(cw, options.records)
    } finally {
      await cw.close()
    }
  })

const audit = program.command('audit').description('the audit trail: export, verify, prove, keys')

audit
  .command('export')
  .description("export a tenant's trail as a bundle (zip) for offline verification")
  .requiredOption('--tenant <id>', 'tenant id')
  .requiredOption('--out <file>', 'bundle file to write')
  .option('--from <time>', 'events at or after this ISO 8601 time (widened to whole checkpoints)')
  .option('--to <time>', 'events before this ISO 8601 time (widened to whole checkpoints)')
  .action(async (options: { tenant: string; out: string; from?: string; to?: string }) => {
    await withCallwarden(async (cw) => {
      const bundle = await cw.audit.exportBundle({
        tenantId: options.tenant,
        ...(options.from === undefined ? {} : { from: isoTime(options.from, '--from') }),
        ...(options.to === undefined ? {} : { to: isoTime(options.to, '--to') }),
        by: { id: 'cli', role: 'auditor' },
      })
      await bundle.writeTo(options.out)
      const m = bundle.manifest
      print(`bundle: ${options.out}`)
      print(
        `tenant: ${m.tenantId} events ${m.fromSeq}..${m.toSeq} (${m.eventCount}), checkpoints 1..${m.lastCheckpoint}`,
      )
    })
  })

audit
  .command('verify')
  .description("verify a tenant's trail in the database, or a bundle offline (exit 0 when intact)")
  .option('--bundle <file>', 'verify this bundle offline')
  .option('--tenant <id>', 'verify this tenant in the configured database')
  .option(
    '--jwks <file>',
    'trusted JWKS (default for a bundle: its own jwks.json, which proves only self-consistency)',
  )
  .action(async (options: { bundle?: string; tenant?: string; jwks?: string }) => {
    const jwks =
      options.jwks === undefined
        ? undefined
        : parseJwks(await readJson(options.jwks, 'ERR_AUDIT_KEY_INVALID'), options.jwks)
    let report
    if (options.bundle !== undefined) {
      report = await verifyBundle(options.bundle, jwks === undefined ? {} : { jwks })
      print(
        `keys: ${report.trustedKeys === 'supplied' ? 'supplied JWKS' : "the bundle's own JWKS (self-consistency only)"}`,
      )
    } else if (options.tenant !== undefined) {
      const tenantId = options.tenant
      report = await withCallwarden((cw) => cw.audit.verify({ tenantId }))
    } else {
      throw new CallwardenError('ERR_CONFIG_INVALID', 'audit verify needs --bundle FILE or --tenant ID')
    }
    print(`tenant: ${report.tenantId}`)
    print(
      `events: ${report.eventsChecked} (${report.firstSeq}..${report.lastSeq}), checkpoints: ${report.checkpointsChecked}, signed through: ${report.signedThroughSeq}`,
    )
    for (const r of report.purged) print(`purged by retention: ${r.fromSeq}..${r.toSeq}`)
    if (report.ok) {
      print('result: intact')
      return
    }
    print(`result: DAMAGED — first bad sequence number ${report.firstBad!.seq}: ${report.firstBad!.kind}`)
    for (const p of report.problems) print(`  ${p.kind} at ${p.seq}: ${p.message}`)
    process.exitCode = 2
  })

audit
  .command('prove')
  .description('write an inclusion proof for one event')
  .requiredOption('--tenant <id>', 'tenant id')
  .requiredOption('--seq <n>', 'sequence number', (v) => positiveInt(v, '--seq', Number.MAX_SAFE_INTEGER))
  .requiredOption('--out <file>', 'proof file to write')
  .action(async (options: { tenant: string; seq: number; out: string }) => {
    await withCallwarden(async (cw) => {
      const proof = await cw.audit.prove({ tenantId: options.tenant, seq: options.seq })
      await writePrivateFile(options.out, `${JSON.stringify(proof, null, 2)}\n`)
      print(`proof: ${options.out} (event ${options.seq}, ${proof.path.length} path hashes)`)
    })
  })

audit
  .command('verify-proof <proof>')
  .description('check an inclusion proof against a JWKS (exit 0 when valid)')
  .requiredOption('--jwks <file>', 'trusted JWKS')
  .action(async (file: string, options: { jwks: string }) => {
    const proof = await readJson(file, 'ERR_AUDIT_BUNDLE_INVALID')
    assertProofShape(proof)
    const verdict = await verifyInclusionProof(
      proof,
      parseJwks(await readJson(options.jwks, 'ERR_AUDIT_KEY_INVALID'), options.jwks),
    )
    if (verdict.valid) {
      print(
        `valid: event ${verdict.seq} of tenant ${verdict.tenantId} is in checkpoint ${verdict.checkpoint} (key ${verdict.kid})`,
      )
    } else {
      print(`invalid: ${verdict.reason}`)
      process.exitCode = 2
    }
  })

audit
  .command('jwks')
  .description('print the JWKS that verifies checkpoints and bundles')
  .action(async () => {
    await withCallwarden(async (cw) => print(JSON.stringify(await cw.audit.jwks(), null, 2)))
  })

audit
  .command('checkpoint')
  .description('sign and anchor the checkpoints due now (all pending events with --force)')
  .requiredOption('--tenant <id>', 'tenant id')
  .option('--force', 'sign whatever is pending')
  .action(async (options: { tenant: string; force?: boolean }) => {
    await withCallwarden(async (cw) => {
      const result = await cw.audit.checkpoint(options.tenant, { force: options.force === true })
      if (result.error !== undefined) throw result.error
      print(
        `checkpoint: ${result.status}; signed ${result.created.map((c) => `${c.n} (${c.fromSeq}..${c.toSeq})`).join(', ') || 'none'}; anchored ${result.anchored}`,
      )
    })
  })

const blacklistCommand = program
  .command('blacklist')
  .description("a tenant's blacklist: add, remove, list, import, export")

const ACTOR_ROLES = ['admin', 'agent', 'auditor'] as const

blacklistCommand
  .command('add')
  .description('blacklist a number, an international prefix (+1201*) or the customer of a call')
  .requiredOption('--tenant <id>', 'tenant id')
  .option('--number <number>', 'number, or international prefix ending in *')
  .option('--call <id>', 'blacklist the customer of this call (the number is never printed)')
  .option('--direction <dir>', 'inbound, outbound or both', 'both')
  .option('--reason <text>', 'why')
  .option('--expires <time>', 'ISO 8601 time when the entry stops matching')
  .option('--as <id>', 'who adds it (recorded in the audit trail)', 'cli')
  .option('--role <role>', 'admin or agent', 'admin')
  .action(
    async (options: {
      tenant: string
      number?: string
      call?: string
      direction: string
      reason?: string
      expires?: string
      as: string
      role: string
    }) => {
      if ((options.number === undefined) === (options.call === undefined)) {
        throw new CallwardenError(
          'ERR_CONFIG_INVALID',
          'blacklist add needs exactly one of --number or --call',
        )
      }
      const by = { id: options.as, role: actorRole(options.role) }
      const common = {
        tenantId: options.tenant,
        direction: options.direction as BlacklistDirection,
        by,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
        ...(options.expires === undefined ? {} : { expiresAt: options.expires }),
      }
      const change = await withCallwarden((cw) =>
        options.number === undefined
          ? cw.policy.blacklist.addByCallId({ ...common, callId: options.call! })
          : cw.policy.blacklist.add({ ...common, number: options.number }),
      )
      print(`entry: ${change.id} ${change.result} (${change.kind}, ${change.direction})`)
    },
  )

blacklistCommand
  .command('remove')
  .description('remove an entry by id (admins)')
  .requiredOption('--tenant <id>', 'tenant id')
  .requiredOption('--id <entry>', 'entry id')
  .option('--as <id>', 'who removes it (recorded in the audit trail)', 'cli')
  .action(async (options: { tenant: string; id: string; as: string }) => {
    await withCallwarden((cw) =>
      cw.policy.blacklist.remove({
        tenantId: options.tenant,
        id: options.id,
        by: { id: options.as, role: 'admin' },
      }),
    )
    print(`removed: ${options.id}`)
  })

blacklistCommand
  .command('list')
  .description('list entries; numbers are masked unless --role admin (an audited unmask)')
  .requiredOption('--tenant <id>', 'tenant id')
  .option('--role <role>', 'view numbers as admin, agent or auditor', 'auditor')
  .option('--as <id>', 'who looks (recorded when numbers are unmasked)', 'cli')
  .option('--limit <n>', 'entries per page', (v) => positiveInt(v, '--limit', 500), 50)
  .option('--cursor <cursor>', 'the next-page cursor printed by the previous page')
  .option('--all', 'include expired entries')
  .action(
    async (options: {
      tenant: string
      role: string
      as: string
      limit: number
      cursor?: string
      all?: boolean
    }) => {
      const page = await withCallwarden((cw) =>
        cw.policy.blacklist.list({
          tenantId: options.tenant,
          viewer: { id: options.as, role: actorRole(options.role) },
          limit: options.limit,
          includeExpired: options.all === true,
          ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
        }),
      )
      for (const e of page.entries) {
        print(
          [
            e.id,
            e.number,
            e.kind,
            e.direction,
            e.expiresAt === undefined ? '-' : e.expiresAt.toISOString(),
            e.expired ? 'expired' : 'active',
            e.reason ?? '',
          ].join('\t'),
        )
      }
      print(
        `entries: ${page.entries.length}${page.nextCursor === undefined ? '' : `, next: --cursor ${page.nextCursor}`}`,
      )
    },
  )

blacklistCommand
  .command('import')
  .description('apply a CSV file (number,direction,reason,expires_at); exit 2 when some lines were rejected')
  .argument('<file>', 'CSV file')
  .requiredOption('--tenant <id>', 'tenant id')
  .option('--as <id>', 'who imports (recorded in the audit trail)', 'cli')
  .action(async (file: string, options: { tenant: string; as: string }) => {
    let csv: Buffer
    try {
      csv = await readFile(file)
    } catch (cause) {
      throw new CallwardenError(
        'ERR_BLACKLIST_ENTRY_INVALID',
        `cannot read '${file}' (${errnoCode(cause)}); it must be a readable CSV file`,
        { cause },
      )
    }
    const report = await withCallwarden((cw) =>
      cw.policy.blacklist.importCsv({ tenantId: options.tenant, csv, by: { id: options.as, role: 'admin' } }),
    )
    print(
      `lines: ${report.lines}, inserted: ${report.inserted}, updated: ${report.updated}, unchanged: ${report.unchanged}, rejected: ${report.errors.length}`,
    )
    for (const e of report.errors) print(`line ${e.line}: ${e.code}: ${e.message}`)
    if (report.errors.length > 0) process.exitCode = 2
  })

blacklistCommand
  .command('export')
  .description('write the active entries as CSV with real numbers (admins; audited)')
  .requiredOption('--tenant <id>', 'tenant id')
  .requiredOption('--out <file>', 'CSV file to write')
  .option('--as <id>', 'who exports (recorded in the audit trail)', 'cli')
  .action(async (options: { tenant: string; out: string; as: string }) => {
    const csv = await withCallwarden((cw) =>
      cw.policy.blacklist.exportCsv({ tenantId: options.tenant, by: { id: options.as, role: 'admin' } }),
    )
    await writePrivateFile(options.out, csv)
    print(`exported: ${csv.split('\n').length - 2} entries to ${options.out}`)
  })

program
  .command('check-call')
  .description(
    'ask the standard outbound (or inbound) chain whether a call may be placed, without placing it; ' +
      'prints the verdict, every reason with its facts and the next allowed time. ' +
      'Exit 0 when allowed, 2 when denied',
  )
  .requiredOption('--tenant <id>', 'tenant id')
  .requiredOption('--callee <number>', 'the number to dial (inbound: the number dialled)')
  .option('--caller <number>', 'inbound: the calling number (with --inbound)')
  .option('--inbound', 'check an inbound call (caller to callee) instead of an outbound one')
  .option('--purpose <purpose>', `outbound purpose: ${OUTBOUND_PURPOSES.join(', ')}`, 'service')
  .option('--at <time>', 'decide for this ISO 8601 instant instead of now, e.g. 2026-12-24T20:30:00-05:00')
  .option('--json', 'print the decision as one JSON object')
  .action(
    async (options: {
      tenant: string
      callee: string
      caller?: string
      inbound?: boolean
      purpose: string
      at?: string
      json?: boolean
    }) => {
      const at = options.at === undefined ? undefined : instantWithOffset(options.at, '--at')
      const decision = await withCallwarden(async (cw) => {
        if (options.inbound === true) {
          if (options.caller === undefined) {
            throw new CallwardenError('ERR_CONFIG_INVALID', '--inbound needs --caller <number>')
          }
          return cw.pipeline.inbound.run(
            { tenantId: options.tenant, caller: options.caller, callee: options.callee, ...(at && { at }) },
            { dryRun: true },
          )
        }
        return cw.pipeline.outbound.run(
          {
            tenantId: options.tenant,
            callee: options.callee,
            purpose: outboundPurpose(options.purpose),
            ...(at && { at }),
          },
          { dryRun: true },
        )
      })
      // The decision's reasons never carry the number; the event (which does) is not printed.
      const summary = {
        verdict: decision.verdict,
        decidedFor: (at ?? decision.decidedAt).toISOString(),
        reasons: decision.reasons.map(({ code, message, middleware, details }) => ({
          code,
          middleware,
          message,
          ...(details === undefined ? {} : { details }),
        })),
        ...(decision.nextAllowedAt === undefined
          ? {}
          : { nextAllowedAt: decision.nextAllowedAt.toISOString() }),
        checks: decision.trace,
      }
      if (options.json === true) {
        print(JSON.stringify(summary))
      } else {
        print(`verdict: ${summary.verdict} (for ${summary.decidedFor})`)
        for (const reason of summary.reasons) {
          print(`reason: ${reason.code} [${reason.middleware}] ${reason.message}`)
          for (const [key, value] of Object.entries(reason.details ?? {})) {
            print(`  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
          }
        }
        if (summary.nextAllowedAt !== undefined) print(`next allowed: ${summary.nextAllowedAt}`)
        print(`checks: ${summary.checks.join(' > ')}`)
      }
      if (decision.verdict === 'deny') process.exitCode = 2
    },
  )

/** An ISO 8601 instant with an explicit offset: a wall time alone would be read in this machine's zone. */
function instantWithOffset(value: string, flag: string): Date {
  const instant = eventInstant(value)
  if (instant === undefined) {
    throw new CallwardenError(
      'ERR_CONFIG_INVALID',
      `${flag} must be an RFC 3339 date-time with a date that exists and an offset (Z or ±hh:mm), got '${value}'`,
    )
  }
  return instant
}

function outboundPurpose(value: string): OutboundPurpose {
  if (!(OUTBOUND_PURPOSES as readonly string[]).includes(value)) {
    throw new CallwardenError(
      'ERR_CONFIG_INVALID',
      `--purpose must be one of ${OUTBOUND_PURPOSES.join(', ')}, got '${value}'`,
    )
  }
  return value as OutboundPurpose
}

function actorRole(value: string): (typeof ACTOR_ROLES)[number] {
  if (!(ACTOR_ROLES as readonly string[]).includes(value)) {
    throw new CallwardenError(
      'ERR_CONFIG_INVALID',
      `--role must be one of ${ACTOR_ROLES.join(', ')}, got '${value}'`,
    )
  }
  return value as (typeof ACTOR_ROLES)[number]
}

async function withCallwarden<T>(fn: (cw: Callwarden) => Promise<T>): Promise<T> {
  const cw = await createCallwarden({}, configFile() ?? {})
  try {
    return await fn(cw)
  } finally {
    await cw.close()
  }
}

/** Reads a JSON input file; any failure is `code`, the error of what the file should have held. */
/** The largest JSON input file (a JWKS, an inclusion proof) the CLI reads. */
const MAX_JSON_INPUT_BYTES = 1024 * 1024

async function readJson(file: string, code: CallwardenErrorCode): Promise<unknown> {
  let bytes: Buffer | undefined
  try {
    bytes = await readFileUpTo(file, MAX_JSON_INPUT_BYTES)
  } catch (cause) {
    throw new CallwardenError(
      code,
      `cannot read '${file}' (${errnoCode(cause)}); it must be a readable file`,
      { cause },
    )
  }
  if (bytes === undefined) {
    throw new CallwardenError(
      code,
      `'${file}' is larger than ${MAX_JSON_INPUT_BYTES} bytes, the most a JSON input may hold`,
    )
  }
  try {
    return JSON.parse(withoutByteOrderMark(bytes.toString('utf8')))
  } catch (cause) {
    throw new CallwardenError(code, `'${file}' is not JSON`, { cause })
  }
}

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? String(error)
}

function isoTime(value: string, flag: string): Date {
  const t = readInstant(value)
  if (t === undefined) {
    throw new CallwardenError('ERR_CONFIG_INVALID', `${flag} must be ${INSTANT_FORMS}; got '${value}'`)
  }
  return new Date(t)
}

async function runDemo(cw: Callwarden, records: number): Promise<void> {
  const now = cw.clock.now()
  print(`database: ${cw.database.displayUrl}`)
  print(`objects: ${redactSecrets(cw.blobs.location)}`)
  const tenantId = `demo-${randomBytes(3).toString('hex')}`
  await cw.tenants.create({ id: tenantId, name: 'Demo Contact Center', protectionMode: 'mask' })
  print(`tenant: ${tenantId}`)
  const seeded = await seedDemoData(cw.scope(tenantId), cw.blobs, now, { serviceRecords: records })
  print(
    `seeded: ${seeded.serviceRecords} service records (${seeded.olderThanSixMonths} older than 6 months), ` +
      `${seeded.recordings} recordings, ${seeded.ivrInputs} IVR inputs, ${seeded.agents} agents, ` +
      `${seeded.agentStateLogs} agent state logs, ${seeded.operationLogs} operation logs`,
  )
  const decision = await cw.pipeline.outbound.run({
    tenantId,
    callId: `demo-${now.getTime()}`,
    callee: '+8613988888888',
    purpose: 'callback',
  })
  print(`outbound decision: ${decision.verdict} (ran: ${decision.trace.join(' > ')})`)
  for (const reason of decision.reasons) print(`  reason: ${reason.code} ${reason.message}`)
  // What an agent of this mask-mode tenant sees of a caller: only the masked form is printed.
  const view = await cw.pipeline.agentView.run({
    type: 'agent-view',
    tenantId,
    callId: `demo-view-${now.getTime()}`,
    agentId: 'demo-agent',
    customerNumber: '+8618912348352',
    screenPopUrl: 'https://crm.example.com/#?mobile=18912348352&type=phone',
    status: 100,
    direction: 'inbound',
  })
  print(
    `agent view: ${view.verdict}, customer number ${view.event.customerNumber}, screen pop ${view.event.screenPopUrl}`,
  )
}

function configFile(): { configFile: string } | undefined {
  const file = program.opts<{ config?: string }>().config
  return file === undefined ? undefined : { configFile: file }
}

function positiveInt(value: string, flag: string, max = 1_000_000): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new CallwardenError(
      'ERR_CONFIG_INVALID',
      `${flag} must be a whole number from 1 to ${max}, got '${value}'`,
    )
  }
  return n
}

function print(line: string): void {
  process.stdout.write(`${line}\n`)
}

// A reader that goes away (`callwarden blacklist list | head`) is not a failure of the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(process.exitCode ?? 0)
})

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit with code 0; usage errors were already printed by commander.
    process.exitCode = error.exitCode
  } else if (error instanceof CallwardenError) {
    process.stderr.write(`${error.code}: ${firstLine(error.message)}\n`)
    // EX_TEMPFAIL: the database is busy or unreachable now; the same command may work later.
    process.exitCode = error.code === 'ERR_STORAGE_UNAVAILABLE' ? 75 : 1
  } else {
    process.stderr.write(
      `ERR_INTERNAL: ${firstLine(error instanceof Error ? error.message : String(error))}\n`,
    )
    process.exitCode = 70
  }
}

/** The line printed for a failure; whatever a dependency put in it, never a credential. */
function firstLine(message: string): string {
  return redactSecrets(message).split('\n')[0]!
}
