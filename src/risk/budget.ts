/**
 * Signal budgets: a budget catches a dependency that is slow or hung, not a process that is busy.
 *
 * A wall-clock race (the signal against `setTimeout(budgetMs)`) judges the process as much as the
 * dependency: when the event loop is busy with other sign-ins, the timer fires late, and Node runs
 * expired timers before the I/O callbacks that carry the answers, so a port that answered in 2 ms
 * was judged to have timed out, and every signal of a decision with it (issue 9, item 5: trusted
 * clinicians stepped up under load). So a budget is judged by three rules:
 *
 * 1. **Only idle time counts.** A budget is charged with the time the event loop spent idle (waiting,
 *    with nothing else to run, for I/O or timers) since the signal started, from the loop's own
 *    account (`performance.eventLoopUtilization()`). If the loop sat idle for the whole budget and
 *    the answer had still not come, the dependency really took that long; time spent running other
 *    work (other sign-ins, SQLite's in-process queries, the load itself) was not the dependency's.
 * 2. **The timer is not a verdict.** When it fires, the check first yields to the loop's I/O phase
 *    (`setImmediate`), so an answer that has already arrived settles the signal first; if budget is
 *    left, the timer is set again for what is left.
 * 3. **A hard cap in wall-clock time**, `HARD_CAP_FACTOR` × the budget, ends the wait whatever the
 *    loop did: a port that hangs ends in the signal's failure mode within its budget on an idle
 *    process and within the cap on one too busy ever to be idle.
 *
 * The clock is an option (EvaluateOptions.budgetClock, `loopClock` unless told), so tests drive it.
 * bench/busy.ts measures sign-ins at twice the capacity with it and with every millisecond charged
 * (the wall-clock race's measure).
 */

/** Where a budget's time comes from. Both in milliseconds, monotonic. */
export interface BudgetClock {
  /** Wall-clock time: the hard cap is judged on it. */
  now(): number;
  /** Time charged against budgets: the event loop's idle time (`loopClock`). */
  charged(): number;
}

/** How many budgets of wall-clock time a signal gets at most, however busy the process. */
export const HARD_CAP_FACTOR = 10;

const now = () => performance.now();

/** The event loop's idle time, from its own account; wall-clock time on a runtime without one. */
export const loopClock: BudgetClock = { now, charged: () => performance.eventLoopUtilization?.().idle ?? now() };

export class BudgetExceeded extends Error {
  constructor(budgetMs: number, waitedMs: number) {
    super(`no answer within the ${budgetMs} ms budget (${Math.round(waitedMs)} ms waited)`);
    this.name = 'BudgetExceeded';
  }
}

/**
 * What `work` gives, or a BudgetExceeded rejection once `budgetMs` of charged time, or the hard cap
 * of wall-clock time, has passed without it. A rejection of `work` passes through; an answer or a
 * rejection that comes after the verdict is ignored (never an unhandled rejection).
 */
export function withinBudget<T>(work: Promise<T>, budgetMs: number, clock: BudgetClock = loopClock): Promise<T> {
  const started = { wall: clock.now(), charged: clock.charged() };
  const capMs = budgetMs * HARD_CAP_FACTOR;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      finish();
    };
    work.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
    const check = () =>
      setImmediate(() => {
        if (settled) return;
        const wall = clock.now() - started.wall;
        const charged = clock.charged() - started.charged;
        if (charged >= budgetMs || wall >= capMs) return settle(() => reject(new BudgetExceeded(budgetMs, wall)));
        timer = setTimeout(check, Math.ceil(Math.min(budgetMs - charged, capMs - wall)));
      });
    timer = setTimeout(check, budgetMs);
  });
}
