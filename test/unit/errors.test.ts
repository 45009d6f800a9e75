/**
 * Keeps the error catalogue honest (fastify's errors test): every code is unique, exported
 * from the package root, and documented in the README's error table, and the README
 * documents no code that does not exist.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as root from '../../src/index.js'
import {
  CALLWARDEN_ERROR_CODES,
  CallwardenError,
  ERROR_CODES,
  isCallwardenErrorCode,
} from '../../src/errors.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const documented = new Set([...readme.matchAll(/^\|\s*`(ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]!))

describe('error catalogue', () => {
  it('has unique ERR_ codes, each with a description', () => {
    expect(new Set(CALLWARDEN_ERROR_CODES).size).toBe(CALLWARDEN_ERROR_CODES.length)
    for (const code of CALLWARDEN_ERROR_CODES) {
      expect(code).toMatch(/^ERR_[A-Z_]+$/)
      expect(ERROR_CODES[code].length).toBeGreaterThan(10)
    }
  })

  it('is exported from the package root', () => {
    expect(root.CALLWARDEN_ERROR_CODES).toBe(CALLWARDEN_ERROR_CODES)
    expect(root.CallwardenError).toBe(CallwardenError)
  })

  it('matches the README error table exactly', () => {
    expect([...documented].sort()).toEqual([...CALLWARDEN_ERROR_CODES].sort())
  })

  it('CallwardenError carries code, name and cause', () => {
    const cause = new Error('underlying')
    const error = new CallwardenError('ERR_STORAGE_UNAVAILABLE', 'db down', { cause })
    expect(error).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE', name: 'CallwardenError', cause })
    expect(error).toBeInstanceOf(Error)
    expect(isCallwardenErrorCode('ERR_STORAGE_UNAVAILABLE')).toBe(true)
    expect(isCallwardenErrorCode('ERR_NOPE')).toBe(false)
  })
})
