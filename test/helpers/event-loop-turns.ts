/**
 * Counts event-loop turns while code under test runs: a setImmediate loop beside it, so a test
 * can tell which turn something happened in (a catch-up that yields after its time budget).
 */
export interface TurnCounter {
  /** Turns seen so far. */
  readonly turns: number;
  /** Ends the loop. */
  stop(): void;
}

export function countTurns(): TurnCounter {
  let turns = 0;
  let ticking = true;
  const tick = (): void => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turns() {
      return turns;
    },
    stop() {
      ticking = false;
    },
  };
}
