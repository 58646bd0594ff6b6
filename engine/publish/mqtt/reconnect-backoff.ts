/**
 * Delay before reconnect attempt `attempt` (0 = the first after a loss): exponential from minMs,
 * capped at maxMs, with ±25 % jitter so that many publishers that lost one broker do not all
 * come back in the same millisecond. `random` returns a number in [0, 1).
 */
export function reconnectDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const exponential = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  const jittered = exponential * (0.75 + 0.5 * random());
  return Math.round(Math.min(maxMs, Math.max(minMs, jittered)));
}
