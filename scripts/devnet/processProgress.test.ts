import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { processProgress } from "./processProgress";

describe("processProgress", () => {
  it("moves when the process writes to its log", () => {
    const log = join(mkdtempSync(join(tmpdir(), "vigil-progress-")), "node.log");
    const before = processProgress(undefined, log);
    appendFileSync(log, "listening\n");
    expect(processProgress(undefined, log)).not.toBe(before);
  });

  it.runIf(process.platform === "linux")("moves when the process uses CPU time, with no output", () => {
    const log = join(mkdtempSync(join(tmpdir(), "vigil-progress-")), "node.log");
    const before = processProgress(process.pid, log);
    // Clock ticks are 10 ms: 100 ms of work moves the mark.
    const until = Date.now() + 100;
    while (Date.now() < until) Math.sqrt(Math.random());
    expect(processProgress(process.pid, log)).not.toBe(before);
  });
});
