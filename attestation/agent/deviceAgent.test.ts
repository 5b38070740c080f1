import { describe, expect, it } from "vitest";
import { keyFromLabel, testCapabilities } from "../testing";
import type { Verdict } from "../verdict";
import { createChallengerGateway } from "./challengerGateway";
import { startDeviceAgent } from "./deviceAgent";
import { type DeviceGateway, GatewayError } from "./gateway";

describe("device agent (in-process gateway)", () => {
  it("keeps retrying registration until the node accepts it, then passes storage challenges", async () => {
    const verdicts: Verdict[] = [];
    const node = createChallengerGateway({
      networkId: 2n,
      signer: keyFromLabel("agent-node"),
      epoch: () => 0n,
      beacon: () => new Uint8Array(32),
      schedule: { intervalMs: 50, types: ["storage"] },
      onVerdict: (v) => verdicts.push(v),
    });
    let refusals = 2;
    const flaky: DeviceGateway = {
      ...node,
      register: async (b) => {
        if (refusals-- > 0) throw new GatewayError("UNAVAILABLE", "node starting");
        return node.register(b);
      },
    };
    const agent = startDeviceAgent({
      signer: keyFromLabel("agent-device"),
      owner: new Uint8Array(20),
      capabilities: testCapabilities,
      storage: { seed: new Uint8Array(32).fill(1), chunks: 32, chunkBytes: 256 },
      gateways: [flaky],
      heartbeatIntervalMs: 40,
      pollWaitMs: 100,
    });
    await new Promise((r) => setTimeout(r, 800));
    await agent.stop();
    node.close();
    expect(refusals).toBeLessThan(0);
    expect(agent.stats.errors).toBeGreaterThanOrEqual(2);
    expect(verdicts.some((v) => v.status === "pass" && v.type === "storage")).toBe(true);
    expect(verdicts.every((v) => v.status === "pass")).toBe(true);
  });
});
