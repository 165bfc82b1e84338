/** The most calls any window of `windowMs` held, from the calls' finish times (sorted). */
export function peakInWindow(stamps: readonly number[], windowMs: number): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < stamps.length; end++) {
    while (stamps[end]! - stamps[start]! >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/** Sandbox options whose log puts the finish time of every User Management call the sandbox answers in `calls`. */
export function withCallLog(calls: number[]): { log: (line: string) => void } {
  return {
    log: (line) => {
      if (line.includes('/userservice/management/')) calls.push(Date.now());
    },
  };
}
