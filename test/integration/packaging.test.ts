/**
 * The package as npm ships it: `npm pack` builds dist, the tarball holds dist and docs but
 * nothing from test/ or bench/, every `exports` subpath resolves at run time, and its
 * types resolve for a TypeScript consumer.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const repo = fileURLToPath(new URL('../..', import.meta.url))

describe('packaging', () => {
  let work: string
  let files: string[]
  let exportsMap: Record<string, unknown>

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cw-pack-'))
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: repo,
      timeout: 120_000,
    })
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as [
      { filename: string; files: { path: string }[] },
    ]
    files = info.files.map((f) => f.path)
    // Install the tarball into a consumer project whose dependencies are the repo's own.
    const consumer = join(work, 'consumer')
    await mkdir(join(consumer, 'node_modules'), { recursive: true })
    await run('tar', ['-xzf', join(work, info.filename), '-C', work])
    await run('mv', [join(work, 'package'), join(consumer, 'node_modules', 'callwarden')])
    for (const dep of await readdir(join(repo, 'node_modules'))) {
      if (dep === '.bin' || dep === 'callwarden') continue
      await symlink(join(repo, 'node_modules', dep), join(consumer, 'node_modules', dep))
    }
    await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module' }))
    exportsMap = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')).exports
  }, 180_000)

  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('ships dist and docs, nothing from test/ or bench/ or src/', () => {
    expect(files).toContain('package.json')
    expect(files).toContain('README.md')
    expect(files).toContain('dist/index.js')
    expect(files).toContain('dist/index.d.ts')
    expect(files).toContain('dist/cli/main.js')
    expect(files.filter((f) => /^(test|bench|src|scripts)\//.test(f))).toEqual([])
  })

  it('every exports subpath resolves at run time', async () => {
    const subpaths = Object.keys(exportsMap).filter((p) => p !== './package.json')
    expect(subpaths).toEqual(expect.arrayContaining(['.', './pipeline', './masking', './store', './blob']))
    const script = subpaths
      .map(
        (p, i) =>
          `const m${i} = await import('${p === '.' ? 'callwarden' : `callwarden/${p.slice(2)}`}'); if (Object.keys(m${i}).length === 0) throw new Error('${p} is empty')`,
      )
      .join('\n')
    const consumer = join(work, 'consumer')
    await writeFile(join(consumer, 'check.mjs'), `${script}\nconsole.log('resolved ${subpaths.length}')`)
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: consumer })
    expect(stdout.trim()).toBe(`resolved ${subpaths.length}`)
  })

  it('types resolve for a TypeScript consumer', async () => {
    const consumer = join(work, 'consumer')
    await writeFile(
      join(consumer, 'check.ts'),
      [
        "import { createCallwarden, CallwardenError, type CallwardenErrorCode } from 'callwarden'",
        "import { createPipeline, type OutboundCall, type Decision } from 'callwarden/pipeline'",
        "import { TenantScope, DataMap, type DatasetDeclaration } from 'callwarden/store'",
        "import { S3BlobStore, type BlobStore } from 'callwarden/blob'",
        "import { maskNumber, normalizeNumber, type MaskStyle } from 'callwarden/masking'",
        'const code: CallwardenErrorCode = "ERR_TENANT_SCOPE"',
        'const p = createPipeline<OutboundCall>()',
        'export type T = [typeof createCallwarden, typeof CallwardenError, typeof code, typeof p, Decision<OutboundCall>, typeof TenantScope, typeof DataMap, DatasetDeclaration, typeof S3BlobStore, BlobStore, typeof maskNumber, typeof normalizeNumber, MaskStyle]',
      ].join('\n'),
    )
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    )
    await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: consumer,
    })
  }, 120_000)
})
