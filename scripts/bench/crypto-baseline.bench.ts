import { ed25519VerifyRate, secp256k1VerifyRate } from "./baseline";
import type { BenchScenario } from "./scenario";

export const scenario: BenchScenario = {
  name: "crypto-baseline",
  description:
    "raw node:crypto Ed25519 and secp256k1 verify rates on one core (the baseline for other scenarios)",
  async run() {
    return {
      ed25519VerifyPerSec: Math.round(ed25519VerifyRate()),
      secp256k1VerifyPerSec: Math.round(secp256k1VerifyRate()),
    };
  },
};
