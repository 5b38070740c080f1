import { describe, expect, it } from "vitest";
import { parseCron } from "./cron";
import { CreHostError } from "./errors";

const next = (schedule: string, iso: string) => parseCron(schedule)(new Date(iso)).toISOString();

describe("cron schedules", () => {
  it("steps seconds and minutes, with or without a seconds field", () => {
    expect(next("*/30 * * * * *", "2026-01-01T00:00:10Z")).toBe("2026-01-01T00:00:30.000Z");
    expect(next("*/30 * * * * *", "2026-01-01T00:00:30Z")).toBe("2026-01-01T00:01:00.000Z");
    expect(next("0 */5 * * * *", "2026-01-01T00:07:00Z")).toBe("2026-01-01T00:10:00.000Z");
    expect(next("15 3 * * *", "2026-01-01T04:00:00Z")).toBe("2026-01-02T03:15:00.000Z");
  });

  it("handles ranges, lists and days of the week", () => {
    expect(next("0 0 9-17/4 * * 1-5", "2026-01-02T18:00:00Z")).toBe("2026-01-05T09:00:00.000Z"); // Fri → Mon
    expect(next("0 0 0 1,15 * *", "2026-01-02T00:00:00Z")).toBe("2026-01-15T00:00:00.000Z");
    expect(next("0 0 0 * * 7", "2026-01-01T00:00:00Z")).toBe("2026-01-04T00:00:00.000Z"); // 7 = Sunday
  });

  it("rejects malformed schedules with a typed error", () => {
    for (const bad of ["* * *", "61 * * * * *", "*/0 * * * *", "a * * * *", "0 0 31 2 *"]) {
      expect(() => parseCron(bad)(new Date("2026-01-01T00:00:00Z")), bad).toThrow(CreHostError);
    }
  });
});
