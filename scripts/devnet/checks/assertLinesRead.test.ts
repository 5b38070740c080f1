import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import type { VerifiedDeviceLine } from "../../../oracle-node/feed/client/index";
import { assertLinesRead, type LineRead } from "./assertLinesRead";

const id = (i: number) => `0x${i.toString(16).padStart(64, "0")}` as Hex;
// Only `line.deviceId` matters to the check; the rest of a verified line is the feed client's business.
const served = (i: number): LineRead => ({
  deviceId: id(i),
  read: { status: "fulfilled", value: { line: { deviceId: id(i) } } as VerifiedDeviceLine },
});
const unreadable = (i: number, reason: Error): LineRead => ({
  deviceId: id(i),
  read: { status: "rejected", reason },
});

describe("assertLinesRead", () => {
  it("returns every registered device's line when all were read and verified", () => {
    const lines = assertLinesRead(0n, [served(1), served(2), served(3)]);
    expect(lines.map((l) => l.line.deviceId)).toEqual([id(1), id(2), id(3)]);
  });

  it("fails the epoch when one registered device's line cannot be read, naming it and why", () => {
    const invalid = new Error("proof does not lead to the result root");
    let thrown: unknown;
    try {
      assertLinesRead(4n, [served(1), unreadable(2, invalid), served(3)]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: "CHECK_FAILED",
      context: { check: "device-lines", epoch: "4", failed: [id(2)] },
      message: expect.stringContaining(
        `1 of 3 registered devices' lines could not be read or verified (${id(2)}: proof does not lead`,
      ),
      cause: invalid,
    });
  });
});
