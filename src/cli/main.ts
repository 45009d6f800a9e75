#!/usr/bin/env node
/**
 * The `callwarden` command line: a thin shell over the library. Exit code 0 on success;
 * on failure one line `ERR_*: message` on standard error and a non-zero exit code.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { Command, CommanderError } from 'commander'
import { createCallwarden, type Callwarden } from '../index.js'
import { CallwardenError } from '../errors.js'
import { loadConfig } from '../config.js'
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

async function runDemo(cw: Callwarden, records: number): Promise<void> {
  const now = cw.clock.now()
  print(`database: ${cw.database.displayUrl}`)
  print(`objects: ${cw.blobs.location}`)
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
    type: 'outbound',
    tenantId,
    callId: `demo-${now.getTime()}`,
    to: '+8613988888888',
    purpose: 'callback',
  })
  print(`outbound decision: ${decision.verdict} (ran: ${decision.trace.join(' > ')})`)
  for (const reason of decision.reasons) print(`  reason: ${reason.code} ${reason.message}`)
}

function configFile(): { configFile: string } | undefined {
  const file = program.opts<{ config?: string }>().config
  return file === undefined ? undefined : { configFile: file }
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    throw new CallwardenError(
      'ERR_CONFIG_INVALID',
      `${flag} must be a whole number from 1 to 1000000, got '${value}'`,
    )
  }
  return n
}

function print(line: string): void {
  process.stdout.write(`${line}\n`)
}

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit with code 0; usage errors were already printed by commander.
    process.exitCode = error.exitCode
  } else if (error instanceof CallwardenError) {
    process.stderr.write(`${error.code}: ${error.message.split('\n')[0]}\n`)
    process.exitCode = 1
  } else {
    process.stderr.write(
      `ERR_INTERNAL: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`,
    )
    process.exitCode = 70
  }
}
