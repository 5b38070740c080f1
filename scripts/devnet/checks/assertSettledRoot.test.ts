import { describe, expect, it } from "vitest";
import { assertSettledRoot } from "./assertSettledRoot";

const root = (byte: string) => `0x${byte.repeat(32)}` as const;

describe("assertSettledRoot", () => {
  it("passes when the chain stored the certified root (hex case aside)", () => {
    expect(() => assertSettledRoot(3n, root("ab"), root("AB"))).not.toThrow();
  });

  it("fails the epoch when the root on chain differs from the certified one", () => {
    expect(() => assertSettledRoot(3n, root("ab"), root("cd"))).toThrow(
      expect.objectContaining({
        code: "CHECK_FAILED",
        context: expect.objectContaining({ check: "settled-root", epoch: "3" }),
        message: expect.stringMatching(/^epoch 3: root settled on chain 0xabab.* differs/),
      }),
    );
  });
});
