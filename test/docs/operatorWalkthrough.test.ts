// The operator walkthrough of docs/operator.md, run exactly as written (its `sh walkthrough`
// blocks) on a fresh anvil: init four nodes, deploy, register, start, register and run devices, and
// wait for a settled epoch. A command the page gets wrong fails this test.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extractWalkthrough, readPage, runWalkthrough } from "./walkthrough";

const ROOT = join(import.meta.dirname, "..", "..");
const PAGE = join(ROOT, "docs", "operator.md");

describe("extractWalkthrough", () => {
  it("takes only `sh walkthrough` blocks, in order, and keeps their text", () => {
    const page = [
      "# t",
      "```sh walkthrough",
      "echo one",
      "```",
      "```sh",
      "echo not me",
      "```",
      "- item",
      "  ```sh walkthrough",
      "  echo two",
      "  ```",
      "````md",
      "```sh walkthrough",
      "echo quoted, not run",
      "```",
      "````",
    ].join("\n");
    expect(extractWalkthrough(page)).toEqual(["echo one", "echo two"]);
  });

  it("refuses an unterminated block", () => {
    expect(() => extractWalkthrough("```sh walkthrough\necho x\n")).toThrow(
      /unterminated code block at line 1/,
    );
  });
});

describe("docs/operator.md walkthrough", () => {
  it("reaches a settled epoch running only the documented commands", { timeout: 15 * 60_000 }, async () => {
    const blocks = extractWalkthrough(readPage(PAGE));
    expect(blocks.length).toBeGreaterThan(3);
    // In a network namespace of its own (root only) the page's fixed ports are free whatever else runs.
    const isolate = process.getuid?.() === 0;
    const run = await runWalkthrough(blocks, { cwd: ROOT, isolate, timeoutMs: 12 * 60_000 });
    console.log(
      `operator walkthrough: exit ${run.code ?? run.signal} after ${(run.wallMs / 1000).toFixed(0)} s`,
    );
    if (run.code !== 0) console.log(run.output.slice(-20_000));
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/settled epoch \d+/);
  });
});
