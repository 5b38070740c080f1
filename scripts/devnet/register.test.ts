import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planFleet, replicaFileOf, writeFleetReplicas } from "../../attestation/agent/index";
import { openReplicaFile } from "../../attestation/storage/index";
import { getNetworkDeviceStorage } from "../../oracle-node/chain/index";
import { type Deployed, deployChainFixture } from "../../test/node/chainFixture";
import { type Anvil, startAnvil } from "./anvil";
import { devnetClients } from "./clients";
import { setStorageTargets } from "./register";

describe("the devnet as its network's storage client (anvil)", () => {
  let anvil: Anvil;
  let chain: Deployed;
  const dir = mkdtempSync(join(tmpdir(), "vigil-devnet-replicas-"));
  beforeAll(async () => {
    anvil = await startAnvil();
    chain = await deployChainFixture(anvil);
  });
  afterAll(async () => {
    await anvil?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes each device's replica and registers its root, which the node reads back from chain", async () => {
    const plan = planFleet({
      strategies: ["honest", "zeroStorage", "lostStorage", "sybil"],
      seed: "devnet-test",
    });
    const registered = plan.filter((d) => d.registered);
    const networkId = await chain.registerNetwork({ epochLength: 30, k: 1 });
    for (const d of registered) await chain.registerDevice(networkId, d.deviceIdHex);
    writeFleetReplicas(plan, dir, "devnet-test");
    // The fixture's deployer (anvil's first key) owns the network, as the devnet's deployer does.
    const { public: client, wallet } = devnetClients(anvil.chainId, "test", anvil.rpcUrl);
    await setStorageTargets(
      client,
      wallet,
      { registry: chain.registry },
      networkId,
      registered.map((d) => ({
        deviceId: d.deviceIdHex,
        root: toHex(d.storage.storageRoot),
        chunks: d.storage.storageChunks,
        chunkBytes: d.storage.storageChunkBytes,
      })),
    );
    const read = await getNetworkDeviceStorage(client, chain.registry, networkId);
    expect(read).toEqual(
      registered.map((d) => ({
        deviceId: d.deviceIdHex,
        root: toHex(d.storage.storageRoot),
        chunks: 64,
        chunkBytes: 1024,
      })),
    );
    // The file each agent is handed holds exactly the replica the chain names.
    for (const d of registered) {
      const file = await openReplicaFile(replicaFileOf(dir, d), 64, 1024);
      expect(file.target).toEqual(d.storage);
    }
    // No two devices share a replica.
    expect(new Set(read.map((r) => r.root)).size).toBe(read.length);
  });
});
