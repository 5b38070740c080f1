import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { startDevnet } from "./devnet";
import { DevnetError } from "./errors";
import { devnetOptionsSchema } from "./options";

describe("devnet options", () => {
  it("defaults to 4 nodes, 20 devices per core (at least 40) and an open-ended run", () => {
    expect(devnetOptionsSchema.parse({})).toMatchObject({
      nodes: 4,
      devices: Math.max(40, 20 * availableParallelism()),
      epochSeconds: 30,
      exit: false,
    });
  });

  it.each([
    [{ nodes: 3 }, /nodes/],
    [{ devices: 0 }, /devices/],
    [{ epochSeconds: 0 }, /epochSeconds/],
    [{ exit: true }, /--exit needs --epochs/],
    [{ fresh: true, resume: true }, /exclude each other/],
  ])("refuses %o before starting anything", async (input, message) => {
    const error = await startDevnet({ port: 0, dataDir: "/nonexistent/never-created", ...input }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(DevnetError);
    expect(error.code).toBe("INVALID_OPTIONS");
    expect(error.message).toMatch(message);
  });

  it("refuses --resume without a devnet to resume", async () => {
    const error = await startDevnet({ resume: true, dataDir: "/nonexistent/no-devnet" }).catch((e) => e);
    expect(error).toBeInstanceOf(DevnetError);
    expect(error.code).toBe("RESUME_WITHOUT_STATE");
  });
});
