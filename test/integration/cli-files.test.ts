/**
 * The files the CLI writes and reads, on both stacks: every `--out` that cannot be written is
 * one `ERR_FILE_UNWRITABLE` line and exit 1 (no crash, no partial or temporary file left);
 * every output is 0600, also over an existing 0644 file; every unreadable input file is its
 * command's own ERR_* code.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli as cli } from './cli-process.js'
import { createCallwarden, type CreateCallwardenOptions } from '../../src/index.js'
import type { CallwardenConfigInput } from '../../src/config.js'
import { freshMysqlDatabase, s3Settings } from './services.js'

/** One CLI process after another: on a loaded machine, parallel ones outlast their timeout. */
async function sequentially<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  for (const item of items) results.push(await run(item))
  return results
}

interface CliStack {
  readonly name: string
  /** Storage settings for the CLI's environment and for the library that seeds it. */
  open(): Promise<{ env: Record<string, string>; config: CallwardenConfigInput; dispose(): Promise<void> }>
}

const CLI_STACKS: readonly CliStack[] = [
  {
    name: 'sqlite+filesystem',
    async open() {
      return { env: {}, config: {}, dispose: async () => {} }
    },
  },
  {
    name: 'mariadb+radosgw',
    async open() {
      const fresh = await freshMysqlDatabase()
      const s3 = s3Settings()
      const blobUrl = `s3://${s3.bucket}/cli-files-${Date.now()}?endpoint=${s3.endpoint}&region=${s3.region}`
      return {
        env: {
          CALLWARDEN_DATABASE_URL: fresh.url,
          CALLWARDEN_BLOB_URL: blobUrl,
          AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        },
        config: { databaseUrl: fresh.url, blobUrl, s3Credentials: s3.credentials },
        dispose: () => fresh.drop(),
      }
    },
  },
]

const OUTPUTS = [
  (out: string) => ['audit', 'export', '--tenant', 'acme', '--out', out],
  (out: string) => ['audit', 'prove', '--tenant', 'acme', '--seq', '2', '--out', out],
  (out: string) => ['blacklist', 'export', '--tenant', 'acme', '--out', out],
] as const

for (const stack of CLI_STACKS) {
  describe(`CLI files on ${stack.name}`, () => {
    let cwd: string
    let env: Record<string, string>
    let dispose: () => Promise<void>

    beforeAll(async () => {
      cwd = await mkdtemp(join(tmpdir(), 'cw-cli-files-'))
      const opened = await stack.open()
      env = opened.env
      dispose = opened.dispose
      const state = join(cwd, '.callwarden')
      const options: CreateCallwardenOptions = { loadEnvironment: false }
      const cw = await createCallwarden(
        {
          databaseUrl: `sqlite:${join(state, 'callwarden.db')}`,
          blobUrl: `file:${join(state, 'blobs')}`,
          audit: { signingKeyFile: join(state, 'audit-signing-key.json') },
          masking: { ivrHashSecretFile: join(state, 'ivr-hash-secret') },
          log: { level: 'silent' },
          ...opened.config,
        },
        options,
      )
      try {
        await cw.tenants.create({ id: 'acme', name: 'ACME', protectionMode: 'mask' })
        await cw.policy.blacklist.add({
          tenantId: 'acme',
          number: '+8613912345678',
          by: { id: 'setup', role: 'admin' },
        })
        for (let i = 0; i < 3; i += 1) {
          await cw.audit.append({
            tenantId: 'acme',
            actor: { id: `agent-${i}`, role: 'agent' },
            action: 'recording.play',
            target: { type: 'recording', id: `rec-${i}` },
            outcome: 'success',
          })
        }
        await cw.audit.checkpoint('acme', { force: true })
      } finally {
        await cw.close()
      }
    })

    afterAll(async () => {
      await dispose?.()
      await rm(cwd, { recursive: true, force: true })
    })

    it(
      'an unwritable --out is one ERR_FILE_UNWRITABLE line, exit 1, and leaves no file',
      { timeout: 240_000 },
      async () => {
        const dir = join(cwd, 'unwritable')
        await mkdir(join(dir, 'a-directory'), { recursive: true })
        await writeFile(join(dir, 'a-file'), 'x')
        const before = await readdir(dir)
        const targets = [join(dir, 'missing', 'out'), join(dir, 'a-file', 'out'), join(dir, 'a-directory')]
        // Every way of failing for the streamed bundle (whose events came from the database
        // after it was closed), one for each other output.
        const runs = [
          ...targets.map((target) => OUTPUTS[0](target)),
          ...OUTPUTS.slice(1).map((command, i) => command(targets[i]!)),
        ]
        const results = await sequentially(runs, (args) => cli(args, cwd, env))
        for (const { code, stderr } of results) {
          expect(code).toBe(1)
          expect(stderr).toMatch(/^ERR_FILE_UNWRITABLE: [^\n]*\n$/)
        }
        expect(await readdir(dir)).toEqual(before)
        expect(await readdir(join(dir, 'a-directory'))).toEqual([])
      },
    )

    it(
      'every output is 0600 over an existing 0644 file, with the new content',
      { timeout: 240_000 },
      async () => {
        const dir = join(cwd, 'outputs')
        await mkdir(dir)
        const targets = OUTPUTS.map((_, i) => join(dir, `existing-${i}`))
        for (const target of targets) {
          await writeFile(target, 'old content')
          await chmod(target, 0o644)
        }
        const results = await sequentially([...OUTPUTS.entries()], ([i, command]) =>
          cli(command(targets[i]!), cwd, env),
        )
        for (const [i, { code, stderr }] of results.entries()) {
          expect(stderr).toBe('')
          expect(code).toBe(0)
          expect((await stat(targets[i]!)).mode & 0o777).toBe(0o600)
          expect(await readFile(targets[i]!, 'utf8')).not.toBe('old content')
        }
        expect((await readdir(dir)).sort()).toEqual(['existing-0', 'existing-1', 'existing-2'])
        // The blacklist export holds the real number; it is that file the mode protects.
        expect(await readFile(join(dir, 'existing-2'), 'utf8')).toContain('+8613912345678')
      },
    )
  })
}

describe('CLI input files', () => {
  let cwd: string

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cw-cli-inputs-'))
    await mkdir(join(cwd, 'a-directory'))
  })

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it(
    'a missing or unreadable input file is the command’s own ERR_* code, one line, exit 1',
    { timeout: 240_000 },
    async () => {
      const cases = [
        [(f: string) => ['audit', 'verify', '--bundle', f], 'ERR_AUDIT_BUNDLE_INVALID'],
        [(f: string) => ['audit', 'verify', '--bundle', 'x.zip', '--jwks', f], 'ERR_AUDIT_KEY_INVALID'],
        [(f: string) => ['audit', 'verify-proof', f, '--jwks', 'jwks.json'], 'ERR_AUDIT_BUNDLE_INVALID'],
        [(f: string) => ['blacklist', 'import', f, '--tenant', 'acme'], 'ERR_BLACKLIST_ENTRY_INVALID'],
        [(f: string) => ['--config', f, 'migrate'], 'ERR_CONFIG_INVALID'],
      ] as const
      // Each input missing, and the first and last a directory.
      const runs = [
        ...cases.map(([command, code]) => [command('missing.file'), code] as const),
        ...[cases[0], cases[4]].map(([command, code]) => [command('a-directory'), code] as const),
      ]
      const results = await sequentially(runs, ([args]) => cli(args, cwd, {}))
      for (const [i, result] of results.entries()) {
        expect(result.code).toBe(1)
        expect(result.stderr).toMatch(new RegExp(`^${runs[i]![1]}: [^\\n]*\\n$`))
      }
    },
  )

  it(
    'an endless JSON input (/dev/zero) is refused at 1 MiB, not buffered',
    { timeout: 120_000 },
    async () => {
      await writeFile(join(cwd, 'jwks.json'), '{"keys":[]}')
      const runs = [
        [['audit', 'verify-proof', '/dev/zero', '--jwks', 'jwks.json'], 'ERR_AUDIT_BUNDLE_INVALID'],
        [['audit', 'verify', '--bundle', 'x.zip', '--jwks', '/dev/zero'], 'ERR_AUDIT_KEY_INVALID'],
      ] as const
      const results = await sequentially(runs, ([args]) => cli([...args], cwd, {}))
      for (const [i, result] of results.entries()) {
        expect(result.code).toBe(1)
        expect(result.stderr).toMatch(new RegExp(`^${runs[i]![1]}: [^\\n]*larger than 1048576 bytes`))
      }
    },
  )
})

describe('secrets in CLI output', () => {
  let cwd: string

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cw-cli-secrets-'))
  })

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it('no part of a URL password reaches standard error or output', { timeout: 240_000 }, async () => {
    // Pieces no message holds by chance, joined by the characters that break URL parsing.
    const pieces = ['Q7XK2M9P', 'ZR4T8W1N', 'HV6C3J5B']
    const password = `${pieces[0]}@${pieces[1]}:/?#%${pieces[2]}`
    const runs: Record<string, string>[] = [
      { CALLWARDEN_DATABASE_URL: `mysql://cw:${password}@127.0.0.1:1/cw` },
      { CALLWARDEN_DATABASE_URL: `mysql://cw:${password}@127.0.0.1:1` },
      { CALLWARDEN_DATABASE_URL: `postgres://cw:${password}@db/cw` },
      // Well-formed and unreachable: the failure comes from the driver.
      { CALLWARDEN_DATABASE_URL: `mysql://cw:${encodeURIComponent(password)}@127.0.0.1:1/cw` },
      { CALLWARDEN_BLOB_URL: `s3://AKIDEXAMPLE:${password}@recordings/calls` },
      { CALLWARDEN_BLOB_URL: `s3://recordings?endpoint=http://u:${password}@127.0.0.1:1` },
    ]
    const results = await sequentially(runs, (env) => cli(['migrate'], cwd, env))
    // The unreachable server is a storage failure (75: try again later); the rest are bad config.
    expect(results.map((r) => r.code)).toEqual([1, 1, 1, 75, 1, 1])
    for (const { stdout, stderr } of results) {
      expect(stderr).toMatch(/^ERR_[A-Z_]+: [^\n]*\n$/)
      for (const piece of pieces) expect(`${stdout}${stderr}`).not.toContain(piece)
    }
  })
})
