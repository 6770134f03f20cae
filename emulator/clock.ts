/**
 * Time for the emulator's lifecycles. Every scheduled status change goes through a `Clock`, so
 * tests can drive lifecycles with a `ManualClock` instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once `now()` has reached `at`; returns a function that cancels the call. */
  schedule(at: number, fn: () => void): () => void;
}

/** Wall-clock time with real timers. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  schedule(at: number, fn: () => void): () => void {
    const timer = setTimeout(fn, Math.max(0, at - Date.now()));
    // A pending lifecycle must not keep a test process or a closing server alive.
    timer.unref();
    return () => clearTimeout(timer);
  }
}

/** Time that moves only when a test calls `advance` or `set`. */
export class ManualClock implements Clock {
  private current: number;
  private timers: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(at: number, fn: () => void): () => void {
    const entry = { at, fn, seq: this.seq++ };
    this.timers.push(entry);
    return () => {
      this.timers = this.timers.filter((t) => t !== entry);
    };
  }

  /** Moves time forward by `ms` and runs every call that became due, in time order. */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  set(time: number): void {
    if (time < this.current)
      throw new Error(`ManualClock cannot go back from ${this.current} to ${time}`);
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= time)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = time;
  }
}
