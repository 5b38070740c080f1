import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { type Deployed, deployChainFixture } from "../../test/node/chainFixture";
import { createChainClient } from "./createChainClient";
import { ChainError } from "./errors";
import {
  getNetwork,
  getNetworkDeviceStorage,
  getNetworkDevices,
  getOperators,
  getSettlementState,
  peerIdFromRegistryBytes,
} from "./reads";
import { loadOrCreateSignerKey, loadSignerKey } from "./signerKey";

let anvil: Anvil;
let chain: Deployed;

beforeAll(async () => {
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
});
afterAll(async () => {
  await anvil?.stop();
});

describe("chain reads against a real anvil", () => {
  it("reads networks, devices, operators and settlement state", async () => {
    const client = createChainClient({
      rpcUrls: [anvil.rpcUrl],
      chainId: anvil.chainId,
      pollingIntervalMs: 50,
    });
    expect(await client.getChainId()).toBe(anvil.chainId);
    const networkId = await chain.registerNetwork({ epochLength: 30, k: 2 });
    const devices = Array.from({ length: 3 }, (_, i) => `0x${String(i + 1).padStart(64, "0")}` as Hex);
    for (const d of devices) await chain.registerDevice(networkId, d);
    const peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
    const signer = loadOrCreateSignerKey(join(mkdtempSync(join(tmpdir(), "vigil-chain-")), "eth.key"));
    await chain.registerOperator(signer.address, peer);

    const network = await getNetwork(client, chain.registry, networkId);
    expect(network).toMatchObject({ networkId, epochLength: 30, k: 2, deviceCount: 3 });
    expect(network.genesisTime).toBeGreaterThan(0n);
    const read = await getNetworkDevices(client, chain.registry, networkId, { pageSize: 2 });
    expect(read.map((d) => d.deviceId)).toEqual(devices);
    expect(read.every((d) => d.status === "Active")).toBe(true);
    const operators = await getOperators(client, chain.registry);
    expect(operators).toEqual([
      expect.objectContaining({ signer: signer.address, status: "Active", peerId: peer }),
    ]);
    const state = await getSettlementState(client, chain.settlement, networkId);
    expect(state.nextEpoch).toBe(0n);
    expect(state.lastSettledEpoch).toBeNull();
    expect(state.beacon).toMatch(/^0x[0-9a-f]{64}$/);
    await expect(getNetwork(client, chain.registry, 999n)).rejects.toBeInstanceOf(ChainError);
  });
});

describe("storage targets against a real anvil", () => {
  it("reads the targets the network owner set, paged in registration order, skipping devices without one", async () => {
    const client = createChainClient({
      rpcUrls: [anvil.rpcUrl],
      chainId: anvil.chainId,
      pollingIntervalMs: 50,
    });
    const networkId = await chain.registerNetwork({ epochLength: 30, k: 1 });
    const devices = Array.from({ length: 5 }, (_, i) => `0x${String(i + 11).padStart(64, "0")}` as Hex);
    for (const d of devices) await chain.registerDevice(networkId, d);
    const root = (i: number) => `0x${String(i).repeat(64)}` as Hex;
    await chain.setDeviceStorage(networkId, devices[0]!, root(1), 64, 1024);
    await chain.setDeviceStorage(networkId, devices[3]!, root(2), 1 << 20, 16 * 1024);
    await chain.setDeviceStorage(networkId, devices[4]!, root(3), 8, 256);
    // Cleared again: no target.
    await chain.setDeviceStorage(networkId, devices[4]!, `0x${"00".repeat(32)}`, 0, 0);
    const read = await getNetworkDeviceStorage(client, chain.registry, networkId, { pageSize: 2 });
    expect(read).toEqual([
      { deviceId: devices[0], root: root(1), chunks: 64, chunkBytes: 1024 },
      { deviceId: devices[3], root: root(2), chunks: 1 << 20, chunkBytes: 16 * 1024 },
    ]);
    expect(await getNetworkDeviceStorage(client, chain.registry, 999n)).toEqual([]);
  });
});

describe("signer key and peer id decoding", () => {
  it("creates a 0600 key once, then loads the same one; rejects a bad file", () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-key-"));
    const file = join(dir, "eth.key");
    const a = loadOrCreateSignerKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSignerKey(file).address).toBe(a.address);
    writeFileSync(join(dir, "bad.key"), "not a key");
    expect(() => loadSignerKey(join(dir, "bad.key"))).toThrow(/not 32 bytes/);
    expect(() => loadSignerKey(join(dir, "missing.key"))).toThrow(ChainError);
  });

  it("decodes registry peer id bytes and refuses garbage", () => {
    expect(peerIdFromRegistryBytes("0x")).toBeNull();
    expect(peerIdFromRegistryBytes("0x0005aabb")).toBeNull();
    expect(peerIdFromRegistryBytes("0x1220" as Hex)).toBeNull();
  });
});
