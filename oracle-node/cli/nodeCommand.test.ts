import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assignDevice } from "../assignment/index";
import { nodeCommand } from "./nodeCommand";

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(args: string[]): Promise<{ out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(console, "log").mockImplementation((s: string) => {
    out += `${s}\n`;
  });
  vi.spyOn(console, "error").mockImplementation((s: string) => {
    err += `${s}\n`;
  });
  const command = nodeCommand().exitOverride();
  for (const sub of command.commands) sub.exitOverride().configureOutput({ writeErr: (s) => (err += s) });
  await command.parseAsync(args, { from: "user" });
  return { out, err };
}

describe("vigil node assignment (offline)", () => {
  it("prints the same nodes as the pure assignment function", async () => {
    const beacon = `0x${"11".repeat(32)}` as Hex;
    const device = `0x${"ab".repeat(32)}` as Hex;
    const nodes = ["a1", "a2", "a3", "a4"].map((x) => `0x${x.padStart(40, "0")}` as Address);
    const { out } = await run([
      "assignment",
      "--network",
      "1",
      "--beacon",
      beacon,
      "--nodes",
      nodes.join(","),
      "--k",
      "2",
      "--device",
      device,
    ]);
    expect(JSON.parse(out).nodes).toEqual(assignDevice({ beacon, deviceId: device, nodes, k: 2 }));
  });

  it("rejects bad flags with a message and no stack trace", async () => {
    await expect(run(["assignment", "--network", "x"])).rejects.toThrow(/expected a uint64 decimal number/);
    const { err } = await run(["assignment", "--network", "1", "--beacon", `0x${"11".repeat(32)}`]);
    expect(err).toMatch(/^error: offline mode needs --nodes, --k and --device/);
    expect(process.exitCode).toBe(1);
  });

  it("fraud-slash checks its flags before calling the node", async () => {
    await expect(run(["fraud-slash", "--network", "1", "--evidence", "0x1"])).rejects.toThrow(
      /expected 0x-prefixed hex bytes/,
    );
    const { err } = await run([
      "fraud-slash",
      "--network",
      "1",
      "--evidence",
      "0x01",
      "--url",
      "http://127.0.0.1:1",
      "--token",
      "t".repeat(16),
    ]);
    expect(err).toMatch(/^error: cannot reach the node at http:\/\/127\.0\.0\.1:1/);
    expect(process.exitCode).toBe(1);
  });
});

describe("vigil node init --api-host", () => {
  it("writes the listen address into node.toml, and refuses a URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-init-host-"));
    try {
      const base = [
        "init",
        "--dir",
        dir,
        "--networks",
        "1",
        "--api-port",
        "0",
        "--p2p-port",
        "0",
        "--insecure-plaintext-keys",
      ];
      await expect(run([...base, "--api-host", "http://0.0.0.0"])).rejects.toThrow(
        /expected an IP address or host name/,
      );
      await run([...base, "--api-host", "0.0.0.0"]);
      expect(readFileSync(join(dir, "node.toml"), "utf8")).toMatch(/^host = "0\.0\.0\.0"$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
