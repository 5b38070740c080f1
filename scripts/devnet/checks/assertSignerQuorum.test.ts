import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { assertSignerQuorum } from "./assertSignerQuorum";

const signer = (i: number) => `0x${String(i).repeat(40)}` as Address;
// n = 4 registered signers, f = 1: the forwarder wants exactly 2.
const registered = [1, 2, 3, 4].map(signer);
const check = (signers: Address[]) => () => assertSignerQuorum(7n, signers, registered, 1);

describe("assertSignerQuorum", () => {
  it("passes f + 1 distinct registered signers, in any order and hex case", () => {
    expect(check([signer(3), signer(1)])).not.toThrow();
    expect(check([signer(2).toUpperCase().replace("0X", "0x") as Address, signer(4)])).not.toThrow();
  });

  it.each([
    ["one signature", [signer(1)], /1 signatures, expected f \+ 1 = 2/],
    ["three signatures", [signer(1), signer(2), signer(3)], /3 signatures, expected f \+ 1 = 2/],
    ["an unregistered signer", [signer(1), signer(9)], /0x9{40} is not a registered signer/],
    ["a duplicate signer", [signer(2), signer(2)], /0x2{40} signed twice/],
  ])("fails the epoch on %s", (_, signers, message) => {
    expect(check(signers)).toThrow(
      expect.objectContaining({
        code: "CHECK_FAILED",
        context: expect.objectContaining({ check: "report-signers", epoch: "7" }),
        message: expect.stringMatching(message),
      }),
    );
  });
});
