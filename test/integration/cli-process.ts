/**
 * Runs the CLI as a user does: a real `node` process on the CLI's sources, in a scratch
 * directory, with only PATH and HOME from this environment.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
// The CLI runs from its sources in a scratch directory, so tsx is named by absolute URL.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/** Runs `callwarden ...args` in `cwd`; resolves with the exit code and both outputs. */
export async function runCli(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', tsx, main, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CALLWARDEN_LOG_LEVEL: 'warn', ...env },
      timeout: 60_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}
