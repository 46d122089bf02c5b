/**
 * The gateway's clock, one for every handler: tests move it instead of waiting (the send harness
 * sets it), and both reconcilers judge grace periods and leases by it.
 */
let clock: () => Date = () => new Date();

export function now(): Date {
  return clock();
}

/** For tests: a controllable clock instead of real waits. */
export function setClock(fn: () => Date): void {
  clock = fn;
}

export function resetClock(): void {
  clock = () => new Date();
}
