import { describe, expect, it } from "vitest";
import { withRetry } from "./withRetry";

describe("withRetry", () => {
  it("retries with growing waits until the call succeeds", async () => {
    const calls: number[] = [];
    const seen: number[] = [];
    const value = await withRetry(
      async () => {
        calls.push(performance.now());
        if (calls.length < 3) throw new Error(`outage ${calls.length}`);
        return "ok";
      },
      { attempts: 5, baseDelayMs: 20, onRetry: (_err, attempt) => void seen.push(attempt) },
    );
    expect(value).toBe("ok");
    expect(seen).toEqual([1, 2]);
    // Waits of 20 then 40 ms (timers never fire early).
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(19);
    expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(39);
  });

  it("rejects with the last error after the last attempt, or at once when told to stop", async () => {
    let n = 0;
    const failing = () => Promise.reject(new Error(`outage ${++n}`));
    await expect(withRetry(failing, { attempts: 3, baseDelayMs: 1 })).rejects.toThrow("outage 3");
    n = 0;
    await expect(withRetry(failing, { attempts: 3, baseDelayMs: 1, onRetry: () => false })).rejects.toThrow(
      "outage 1",
    );
  });
});
