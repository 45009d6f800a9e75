/**
 * The pipeline core: Koa-style middleware over typed call events, producing a
 * {@link Decision}. It depends on nothing but the error catalogue and the clock.
 *
 * Composition rules (each has a test):
 * - middleware runs in registration order; `use()` returns a new pipeline and never
 *   changes the one it was called on;
 * - a denial is terminal: `ctx.deny()` sets the verdict, downstream middleware does not
 *   run, and calling `next()` after denying is an error;
 * - `next()` called twice, or a middleware that returns before the promise from `next()`
 *   settled (a forgotten `await`), rejects the run with `ERR_PIPELINE_MISUSE`;
 * - any other error thrown by a middleware is an infrastructure failure and is turned into
 *   the pipeline's fail mode (by default: deny with `ERR_POLICY_UNAVAILABLE`);
 * - observers see every decision and can never change it; their failures are reported to
 *   `onObserverError` and swallowed;
 * - a {@link guard} (a check that only decides and never wraps the rest of the chain) runs
 *   exactly like the middleware `async (ctx, next) => { await check(ctx); if (!ctx.denied)
 *   await next() }` would, but the runner calls it in a loop: a guard that decides from
 *   memory costs a function call, not a promise per step.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { systemClock, type Clock } from '../clock.js'
import { PipelineMisuse, type CallwardenErrorCode } from '../errors.js'
import { readInstant } from '../lib/instant.js'
import type { CallEventBase, CallEventInput } from './call-events.js'
import type { Decision, DecisionReason } from './decision.js'

/** What a middleware sees while a run is in progress. */
export interface CallContext<E> {
  /** The event; middleware may rewrite its mutable fields (agent views are masked in place). */
  readonly event: E
  /** The tenant the event belongs to. */
  readonly tenantId: string
  /** The pipeline's clock. */
  readonly clock: Clock
  /**
   * The instant the decision is for: the event's `at` when it has one, otherwise the
   * clock's time when the run started. Time-dependent checks (calling hours, consent
   * expiry, attempt windows) judge at this instant.
   */
  readonly at: Date
  /**
   * True for a what-if run (`run(event, { dryRun: true })`): checks decide as usual but
   * record nothing (no attempt is counted, no rate budget is spent).
   */
  readonly dryRun: boolean
  /** Values shared between middleware of one run (e.g. the normalised number). */
  readonly state: Map<string, unknown>
  /** Aborts the run between middleware when signalled. */
  readonly signal: AbortSignal | undefined
  /** True once a middleware has denied. */
  readonly denied: boolean
  /** Denies the event with a catalogued code. Terminal: do not call `next()` afterwards. */
  deny(code: CallwardenErrorCode, message: string, details?: Record<string, unknown>): void
  /** Records a reason that explains an allow (or adds context to a later denial). */
  note(code: string, message: string, details?: Record<string, unknown>): void
  /**
   * Registers `undo` to run when the decision is a denial (a later check denies, a middleware
   * fails and the fail mode denies, the chain is misused): a check that spent something for
   * the call (a rate slot, a recorded attempt) gives it back. Undos run last-registered first,
   * before observers see the decision; one registered after the run ended in a denial runs at
   * once. An undo that fails is reported to `onObserverError` and does not change the decision.
   *
   * @example
   * ```ts
   * const slot = limiter.take(ctx.tenantId)
   * ctx.onDenied(() => limiter.giveBack(slot))
   * ```
   */
  onDenied(undo: () => void | Promise<void>): void
}

/** One step of a pipeline. */
export type Middleware<E> = (ctx: CallContext<E>, next: () => Promise<void>) => Promise<void>

/**
 * A check: it reads the context, may `deny()` or `note()`, and returns. The chain goes on
 * unless it denied. Return a promise only when the check has to wait (I/O); a check that
 * decides from memory returns nothing and costs the runner no promise.
 */
export type Check<E> = (ctx: CallContext<E>) => void | Promise<void>

/** Where {@link guard} leaves the check on the middleware it returns. */
const CHECK = Symbol('callwarden.pipeline.check')

/**
 * Turns a check into middleware. The result is an ordinary {@link Middleware} (it can be
 * called or wrapped like any other), and a pipeline runs it without the `next()` machinery.
 * The middleware's name is the check's.
 *
 * @example
 * ```ts
 * const noWeekendCalls = guard<OutboundCall>(function noWeekendCalls(ctx) {
 *   if (ctx.at.getUTCDay() % 6 === 0) ctx.deny('ERR_POLICY_OUTSIDE_CALLING_HOURS', 'no calls at weekends')
 * })
 * const outbound = createPipeline<OutboundCall>().use(noWeekendCalls)
 * ```
 */
export function guard<E>(check: Check<E>): Middleware<E> {
  if (typeof check !== 'function') throw new TypeError(`guard() takes a function, got ${typeof check}`)
  const middleware = async (ctx: CallContext<E>, next: () => Promise<void>): Promise<void> => {
    await check(ctx)
    if (!ctx.denied) await next()
  }
  Object.defineProperty(middleware, 'name', { value: check.name })
  Object.defineProperty(middleware, CHECK, { value: check })
  return middleware
}

function checkOf<E>(middleware: Middleware<E>): Check<E> | undefined {
  return (middleware as { [CHECK]?: Check<E> })[CHECK]
}

/**
 * Decides what a run's outcome is when a middleware throws an infrastructure error.
 * It receives the context (and may deny through it) and the failing middleware's name.
 */
export type FailMode<E> = (ctx: CallContext<E>, error: unknown, middleware: string) => void

/** Observes every decision (audit, metrics). Never changes the outcome. */
export type DecisionObserver<E> = (decision: Decision<E>) => void | Promise<void>

/** Options of {@link createPipeline}. */
export interface PipelineOptions<E> {
  /**
   * A name for logs and audit.
   * @defaultValue `'pipeline'`
   */
  readonly name?: string
  /** @defaultValue the system clock */
  readonly clock?: Clock
  /**
   * The event type this pipeline carries. When set, `run()` accepts events without `type`
   * (it is filled in) or without `callId` (a random one is generated), and denies an event
   * of any other type with `ERR_EVENT_INVALID` (`details.field: 'type'`) before any
   * middleware runs.
   */
  readonly eventType?: CallEventBase['type']
  /**
   * What an infrastructure failure turns into.
   * @defaultValue `failClosed('ERR_POLICY_UNAVAILABLE')`
   */
  readonly failMode?: FailMode<E>
  /**
   * Called when an observer throws; the decision stands regardless.
   * @defaultValue ignore
   */
  readonly onObserverError?: (error: unknown, decision: Decision<E>) => void
  /**
   * How long a run may wait for its checks, in milliseconds. A run still waiting then is
   * denied with `ERR_POLICY_UNAVAILABLE` and `details: { reason: 'deadline', deadlineMs,
   * middleware }` (fail closed, whatever the fail mode). The late work is cut off: no later
   * middleware runs, its denials and notes are ignored, and what it spends for the call
   * (`ctx.onDenied(undo)`) is given back as soon as it registers. A run that never waits
   * (every check answered from memory) starts no timer.
   * @defaultValue no deadline
   */
  readonly deadlineMs?: number
}

/** Options of one run. */
export interface RunOptions {
  readonly signal?: AbortSignal
  /** Decide without recording anything (see {@link CallContext.dryRun}). */
  readonly dryRun?: boolean
}

/** A runnable chain of middleware. Immutable: `use()` and `observe()` return new pipelines. */
export interface Pipeline<E extends CallEventBase> {
  readonly name: string
  /** The middleware names in order. */
  readonly middlewareNames: readonly string[]
  /** Returns a new pipeline with `middleware` appended. */
  use(middleware: Middleware<E>, options?: { readonly name?: string }): Pipeline<E>
  /** Returns a new pipeline with `observer` added. */
  observe(observer: DecisionObserver<E>): Pipeline<E>
  /**
   * Runs the event through the chain and returns the decision. A pipeline created with an
   * `eventType` also takes events without `type` and `callId`.
   */
  run(event: E | CallEventInput<E>, options?: RunOptions): Promise<Decision<E>>
}

/**
 * A fail mode that denies with `code` and names the failing middleware. The error's
 * message is not copied into the reason: it may carry personal data from a dependency.
 */
export function failClosed<E>(code: CallwardenErrorCode = 'ERR_POLICY_UNAVAILABLE'): FailMode<E> {
  return (ctx, error, middleware) => {
    ctx.deny(code, `middleware '${middleware}' failed; denied (fail closed)`, {
      error: errorLabel(error),
    })
  }
}

const FAIL_CLOSED = failClosed<unknown>()

/**
 * Creates an empty pipeline for events of type `E`.
 *
 * @example
 * ```ts
 * import { createPipeline } from 'callwarden/pipeline'
 *
 * const outbound = createPipeline<OutboundCall>({ name: 'outbound' })
 *   .use(async function noNightCalls(ctx, next) {
 *     if (isNight(ctx.clock.now())) return ctx.deny('ERR_POLICY_UNAVAILABLE', 'closed')
 *     await next()
 *   })
 * const decision = await outbound.run(event) // { verdict: 'allow', reasons: [], ... }
 * ```
 */
export function createPipeline<E extends CallEventBase>(options: PipelineOptions<E> = {}): Pipeline<E> {
  return new ComposedPipeline<E>(
    {
      name: options.name ?? 'pipeline',
      clock: options.clock ?? systemClock,
      eventType: options.eventType,
      failMode: options.failMode ?? failClosed<E>(),
      onObserverError: options.onObserverError ?? (() => undefined),
      deadlineMs: deadlineOption(options.deadlineMs),
    },
    [],
    [],
  )
}

interface ResolvedOptions<E> {
  readonly name: string
  readonly clock: Clock
  readonly eventType: CallEventBase['type'] | undefined
  readonly failMode: FailMode<E>
  readonly onObserverError: (error: unknown, decision: Decision<E>) => void
  readonly deadlineMs: number | undefined
}

/** `deadlineMs` checked: absent, or a positive whole number of milliseconds a timer can hold. */
function deadlineOption(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) {
    throw new RangeError(
      `deadlineMs must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${String(value)}`,
    )
  }
  return value
}

/** The longest delay `setTimeout` keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647

/** What the deadline timer resolves with. */
const EXPIRED = Symbol('callwarden.pipeline.expired')

interface NamedMiddleware<E> {
  readonly name: string
  readonly fn: Middleware<E>
  /** Set for a {@link guard}: the runner calls the check itself. */
  readonly check: Check<E> | undefined
}

class ComposedPipeline<E extends CallEventBase> implements Pipeline<E> {
  readonly #options: ResolvedOptions<E>
  readonly #middleware: readonly NamedMiddleware<E>[]
  readonly #observers: readonly DecisionObserver<E>[]

  constructor(
    options: ResolvedOptions<E>,
    middleware: readonly NamedMiddleware<E>[],
    observers: readonly DecisionObserver<E>[],
  ) {
    this.#options = options
    this.#middleware = Object.freeze([...middleware])
    this.#observers = Object.freeze([...observers])
  }

  get name(): string {
    return this.#options.name
  }

  get middlewareNames(): readonly string[] {
    return this.#middleware.map((m) => m.name)
  }

  use(middleware: Middleware<E>, options: { readonly name?: string } = {}): Pipeline<E> {
    if (typeof middleware !== 'function') {
      throw new TypeError(`use() takes a middleware function, got ${typeof middleware}`)
    }
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`use() takes an options object as its second argument, got ${String(options)}`)
    }
    const name = options.name ?? (middleware.name || `middleware#${this.#middleware.length}`)
    return new ComposedPipeline(
      this.#options,
      [...this.#middleware, { name, fn: middleware, check: checkOf(middleware) }],
      this.#observers,
    )
  }

  observe(observer: DecisionObserver<E>): Pipeline<E> {
    if (typeof observer !== 'function') {
      throw new TypeError(`observe() takes a function, got ${typeof observer}`)
    }
    return new ComposedPipeline(this.#options, this.#middleware, [...this.#observers, observer])
  }

  async run(input: E | CallEventInput<E>, options: RunOptions = {}): Promise<Decision<E>> {
    if (input === null || typeof input !== 'object') {
      throw new TypeError(`run() takes a call event object, got ${String(input)}`)
    }
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`run() takes an options object as its second argument, got ${String(options)}`)
    }
    const event = this.#complete(input)
    const decidedAt = this.#options.clock.now()
    const run = new Run(event, this.#options.clock, decidedAt, options)
    let failure: Decision<E>['failure']
    try {
      const eventType = this.#options.eventType
      if (eventType !== undefined && event.type !== eventType) {
        // A chain judges the parties of its own event type only: an outbound call posing as
        // inbound would have its checks read the caller instead of the callee.
        run.current = this.#options.name
        run.context.deny(
          'ERR_EVENT_INVALID',
          `event field 'type' is invalid; allowed: '${eventType}' (the ${this.#options.name} pipeline's event type)`,
          { field: 'type' },
        )
      }
      const dispatched = run.dispatch(this.#middleware, 0)
      const deadlineMs = this.#options.deadlineMs
      if (deadlineMs !== undefined && run.waits) await this.#withDeadline(run, dispatched, deadlineMs)
      else await dispatched
    } catch (error) {
      if (error instanceof PipelineMisuse) run.misuse ??= error
      const middleware = run.origins?.get(error as object) ?? this.#options.name
      if (run.misuse === undefined) {
        failure = { middleware, error }
        if (!run.context.denied) {
          try {
            this.#options.failMode(run.context, error, middleware)
          } catch {
            // A fail mode that fails itself must not let the call through.
            if (!run.context.denied) FAIL_CLOSED(run.context, error, middleware)
          }
        }
      }
    }
    if (run.misuse === undefined && !run.context.denied && !run.completed) {
      // Fail closed: a chain that stopped early without a denial skipped its later checks.
      run.misuse = new PipelineMisuse(
        run.trace.at(-1) ?? this.#options.name,
        'returned without calling next() or deny(); later checks would be skipped',
      )
    }
    if (run.misuse !== undefined) {
      // Misuse still reaches the observers (audit) as a denial, then rejects the run.
      run.reasons.push(
        Object.freeze({
          code: run.misuse.code,
          message: run.misuse.message,
          middleware: run.misuse.middleware,
        }),
      )
      const denial = this.#freeze(run, 'deny', event, decidedAt, {
        middleware: run.misuse.middleware,
        error: run.misuse,
      })
      await this.#undo(run, denial)
      await this.#notify(denial)
      throw run.misuse
    }
    const decision = this.#freeze(run, run.context.denied ? 'deny' : 'allow', event, decidedAt, failure)
    if (decision.verdict === 'deny') await this.#undo(run, decision)
    await this.#notify(decision)
    return decision
  }

  /** Waits for `dispatched` until the deadline; then denies the run and closes it. */
  async #withDeadline(run: Run<E>, dispatched: Promise<void>, deadlineMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<typeof EXPIRED>((resolve) => {
      timer = setTimeout(resolve, deadlineMs, EXPIRED)
    })
    try {
      if ((await Promise.race([dispatched, expired])) !== EXPIRED) return
    } finally {
      clearTimeout(timer)
    }
    // The late work goes on without anyone waiting for it; its failure changes nothing.
    dispatched.catch(() => undefined)
    const middleware = run.current || this.#options.name
    run.context.deny(
      'ERR_POLICY_UNAVAILABLE',
      `no decision within the ${deadlineMs} ms deadline ('${middleware}' was still waiting); the call is denied (fail closed)`,
      { reason: 'deadline', deadlineMs, middleware },
    )
    run.closed = true
  }

  /**
   * The run's own copy of `input`, with `type` and `callId` filled in for a pipeline with an
   * `eventType`; never mutates `input`. Every check and the decision see this one snapshot:
   * each own property is read once, so a getter or a proxy answering differently on each read
   * cannot have the checks judge one number and the caller dial another.
   */
  #complete(input: E | CallEventInput<E>): E {
    // Object.assign rather than a spread: it is many times cheaper on this per-call path. It
    // would set the prototype from an own `__proto__` key (parsed JSON), which the spread copies.
    const event: { type?: CallEventBase['type']; callId?: string } = Object.hasOwn(input, '__proto__')
      ? { ...input }
      : Object.assign({}, input)
    const eventType = this.#options.eventType
    if (eventType !== undefined) {
      event.type ??= eventType
      event.callId ??= randomUUID()
    }
    return event as E
  }

  #freeze(
    run: Run<E>,
    verdict: Decision<E>['verdict'],
    event: E,
    decidedAt: Date,
    failure: Decision<E>['failure'],
  ): Decision<E> {
    const nextAllowedAt = verdict === 'deny' ? nextAllowedAtOf(run.reasons) : undefined
    const decision: { -readonly [K in keyof Decision<E>]: Decision<E>[K] } = {
      verdict,
      // The run is over: its arrays and its event are frozen as they are rather than copied,
      // so work still running past a deadline cannot change what was decided.
      reasons: Object.freeze(run.reasons),
      event: Object.freeze(event),
      trace: Object.freeze(run.trace),
      decidedAt,
    }
    if (nextAllowedAt !== undefined) decision.nextAllowedAt = nextAllowedAt
    if (failure !== undefined) decision.failure = failure
    return Object.freeze(decision)
  }

  /** Runs the undos of a run that did not end in an allow. */
  async #undo(run: Run<E>, decision: Decision<E>): Promise<void> {
    // A check still running when the run ended (a middleware gave up waiting for it) may
    // register its undo late: it runs at once.
    run.afterDenial = (undo) => {
      void (async () => undo())().catch((error: unknown) => this.#options.onObserverError(error, decision))
    }
    const undos = run.undos
    if (undos === undefined) return
    for (let i = undos.length - 1; i >= 0; i--) {
      try {
        await undos[i]!()
      } catch (error) {
        this.#options.onObserverError(error, decision)
      }
    }
  }

  async #notify(decision: Decision<E>): Promise<void> {
    if (this.#observers.length === 0) return
    for (const observer of this.#observers) {
      try {
        await observer(decision)
      } catch (error) {
        this.#options.onObserverError(error, decision)
      }
    }
  }
}

/**
 * What middleware see of a run. A class rather than an object literal with getters: every
 * run's context then has the same shape and shares its methods, which keeps a run cheap.
 */
class RunContext<E extends CallEventBase> implements CallContext<E> {
  readonly event: E
  readonly tenantId: string
  readonly clock: Clock
  readonly dryRun: boolean
  readonly signal: AbortSignal | undefined
  readonly #run: Run<E>
  #denied = false
  readonly #startedAt: Date
  #at: Date | undefined
  #state: Map<string, unknown> | undefined

  constructor(run: Run<E>, event: E, clock: Clock, startedAt: Date, options: RunOptions) {
    this.#run = run
    this.event = event
    this.tenantId = event.tenantId
    this.clock = clock
    this.dryRun = options.dryRun === true
    this.signal = options.signal
    this.#startedAt = startedAt
  }

  get at(): Date {
    return (this.#at ??= eventInstant(this.event.at) ?? this.#startedAt)
  }

  get denied(): boolean {
    return this.#denied
  }

  get state(): Map<string, unknown> {
    // Most runs never share state; the map is made on first use.
    return (this.#state ??= new Map())
  }

  deny(code: CallwardenErrorCode, message: string, details?: Record<string, unknown>): void {
    // A run past its deadline is decided; what its late checks say is no longer heard.
    if (this.#run.closed) return
    this.#denied = true
    this.#run.reasons.push(reason(code, message, this.#run.current, details))
  }

  note(code: string, message: string, details?: Record<string, unknown>): void {
    if (this.#run.closed) return
    this.#run.reasons.push(reason(code, message, this.#run.current, details))
  }

  onDenied(undo: () => void | Promise<void>): void {
    if (typeof undo !== 'function') throw new TypeError('onDenied() takes a function')
    const run = this.#run
    if (run.afterDenial !== undefined) run.afterDenial(undo)
    else (run.undos ??= []).push(undo)
  }
}

/** The mutable state of one run. */
class Run<E extends CallEventBase> {
  readonly reasons: DecisionReason[] = []
  readonly trace: string[] = []
  /** Which middleware an error was first thrown from. */
  origins: WeakMap<object, string> | undefined
  readonly context: RunContext<E>
  misuse: PipelineMisuse | undefined
  /** True once the run went past the last middleware (nobody stopped the chain). */
  completed = false
  /** What {@link CallContext.onDenied} registered. */
  undos: (() => void | Promise<void>)[] | undefined
  /** Set once the run ended in a denial: runs an undo registered from then on at once. */
  afterDenial: ((undo: () => void | Promise<void>) => void) | undefined
  /** The middleware running now: notes and denials are attributed to it. */
  current = ''
  /** True once the run had to wait (a pending check, or a full middleware): a deadline applies. */
  waits = false
  /** True once the run was decided at its deadline: late denials and notes are ignored. */
  closed = false

  constructor(event: E, clock: Clock, startedAt: Date, options: RunOptions) {
    this.context = new RunContext(this, event, clock, startedAt, options)
  }

  async dispatch(chain: readonly NamedMiddleware<E>[], from: number): Promise<void> {
    let index = from
    let entry: NamedMiddleware<E> | undefined
    // Guards run in this loop; the first full middleware gets a next() that goes on after it.
    for (;;) {
      entry = chain[index]
      if (this.context.denied) return
      if (entry === undefined) {
        this.completed = true
        return
      }
      this.context.signal?.throwIfAborted()
      this.trace.push(entry.name)
      this.current = entry.name
      if (entry.check === undefined) break
      try {
        const pending = entry.check(this.context)
        if (pending !== undefined) {
          this.waits = true
          await pending
        }
      } catch (error) {
        this.#origin(error, entry.name)
        throw error
      }
      index += 1
    }
    const current = entry

    let calls = 0
    let settled = false
    let downstream: Promise<void> | undefined
    const next = (): Promise<void> => {
      calls += 1
      if (calls > 1) return this.#misuse(current.name, 'next() called multiple times')
      if (this.context.denied) {
        return this.#misuse(current.name, 'next() called after deny(); a denial is terminal')
      }
      const settle = (): void => {
        settled = true
        this.current = current.name
      }
      downstream = this.dispatch(chain, index + 1).then(settle, (error: unknown) => {
        settle()
        throw error
      })
      // A middleware that forgets to await must not turn into an unhandled rejection.
      downstream.catch(() => undefined)
      return downstream
    }

    this.waits = true
    try {
      await current.fn(this.context, next)
    } catch (error) {
      this.#origin(error, current.name)
      throw error
    }
    if (downstream !== undefined && !settled) {
      await this.#misuse(current.name, 'returned before the promise from next() settled (missing await?)')
    }
  }

  /** Remembers the middleware an error was first thrown from. */
  #origin(error: unknown, middleware: string): void {
    if (error !== null && typeof error === 'object' && !this.origins?.has(error)) {
      ;(this.origins ??= new WeakMap()).set(error, middleware)
    }
  }

  #misuse(middleware: string, message: string): Promise<never> {
    const error = new PipelineMisuse(middleware, message)
    this.misuse ??= error
    const rejected = Promise.reject(error)
    // The run rejects with `misuse` even if the middleware drops this promise.
    rejected.catch(() => undefined)
    return rejected
  }
}

function reason(
  code: string,
  message: string,
  middleware: string,
  details: Record<string, unknown> | undefined,
): DecisionReason {
  const made: { -readonly [K in keyof DecisionReason]: DecisionReason[K] } = { code, message, middleware }
  // Frozen details (a middleware's constants) are shared rather than copied.
  if (details !== undefined) {
    made.details = Object.isFrozen(details) ? details : Object.freeze(Object.assign({}, details))
  }
  return Object.freeze(made)
}

/**
 * The instant an event's `at` names, or `undefined` when it has none or it is not a valid
 * time (`validateCallEvent()` denies such events before any check reads the time). Read by
 * the one strict parser: a date that does not exist or a time without an offset is no time.
 * @internal
 */
export function eventInstant(at: unknown): Date | undefined {
  if (at instanceof Date) return readInstant(at) === undefined ? undefined : at
  const time = readInstant(at)
  return time === undefined ? undefined : new Date(time)
}

/** The next allowed time a denial named (`details.nextAllowedAt`, ISO 8601), if any. */
function nextAllowedAtOf(reasons: readonly DecisionReason[]): Date | undefined {
  for (let i = reasons.length - 1; i >= 0; i--) {
    const value = reasons[i]?.details?.nextAllowedAt
    if (typeof value === 'string') return new Date(value)
  }
  return undefined
}

/** A label for an error that carries no message text (messages may hold personal data). */
function errorLabel(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string') return code
    return (error as { name?: unknown }).name === undefined
      ? 'Error'
      : String((error as { name: unknown }).name)
  }
  return typeof error
}
