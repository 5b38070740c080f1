import { describe, expect, it } from "vitest";
import {
  exampleDePINConsumerAbi,
  keystoneForwarderAbi,
  timelockControllerAbi,
  vigilFeedAbi,
  vigilGovernorAbi,
  vigilRegistryAbi,
  vigilSettlementAbi,
  vigilTokenAbi,
} from "./abi";
import { loadArtifact } from "./artifacts";

describe("contracts/abi.ts", () => {
  it("matches the forge artifacts (run `npm run build:contracts` and commit if this fails)", () => {
    const pairs = [
      [vigilTokenAbi, "VigilToken.sol"],
      [vigilRegistryAbi, "VigilRegistry.sol"],
      [vigilSettlementAbi, "VigilSettlement.sol"],
      [vigilFeedAbi, "IVigilFeed.sol"],
      [exampleDePINConsumerAbi, "ExampleDePINConsumer.sol"],
      [keystoneForwarderAbi, "KeystoneForwarder.sol"],
      [vigilGovernorAbi, "VigilGovernor.sol"],
      [timelockControllerAbi, "TimelockController.sol"],
    ] as const;
    for (const [abi, file] of pairs) expect(abi, file).toEqual(loadArtifact(file).abi);
  });
});
