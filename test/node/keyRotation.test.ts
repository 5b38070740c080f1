// Peer key rotation as docs/operator.md ("Keys") describes it, on anvil with the deployed registry:
// rotate-peer → the node keeps the registered key → updateOperatorPeerId → the next start uses the new one.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vigilRegistryAbi } from "../../contracts/index";
import { initNode } from "../../oracle-node/cli/index";
import { loadConfig } from "../../oracle-node/config/index";
import { createPendingPeerKey, fixedPassword, readPeerKey } from "../../oracle-node/keys/index";
import { startNode } from "../../oracle-node/node";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { ANVIL_KEY, type Deployed, deployChainFixture } from "./chainFixture";

// A small scrypt cost: the node decrypts on each of three starts (the CLI default is the standard 2^18).
const KEYSTORE = { password: "rotation test", scryptN: 1024 };
const password = fixedPassword(KEYSTORE.password);

let anvil: Anvil;
let chain: Deployed;
let dir: string;

beforeAll(async () => {
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
  await chain.registerNetwork({ epochLength: 60, k: 1 });
  dir = mkdtempSync(join(tmpdir(), "vigil-rotate-"));
});
afterAll(async () => {
  await anvil?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function start() {
  const config = loadConfig({
    path: join(dir, "node.toml"),
    env: {
      VIGIL_LOG_LEVEL: "warn",
      VIGIL_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
      VIGIL_CHAIN_SETTLEMENT: chain.settlement,
      VIGIL_CHAIN_REGISTRY: chain.registry,
      VIGIL_CHAIN_FORWARDER: chain.forwarder,
      VIGIL_CHAIN_TOKEN: chain.token,
    },
  });
  return startNode(config, {
    defaultMetrics: false,
    pollingIntervalMs: 50,
    logDestination: { write: () => {} },
    password,
  });
}

describe("peer key rotation", () => {
  it("the node always starts with the peer id the registry holds, and switches after updateOperatorPeerId", async () => {
    const init = await initNode({
      dir,
      networks: [1n],
      apiPort: 0,
      adminPort: 0,
      p2pPort: 0,
      rpcUrls: [anvil.rpcUrl],
      chainId: anvil.chainId,
      keystore: KEYSTORE,
    });
    expect(init.keyFormats).toEqual({ peer: "keystore", signer: "keystore" });
    await chain.registerOperator(init.signer, init.peerId);
    const peerKeyFile = join(init.dataDir, "peer.key");

    // An encrypted keystore node starts, with its registered identity.
    let node = await start();
    try {
      expect(node.p2p.peerId).toBe(init.peerId);
    } finally {
      await node.close();
    }

    const rotation = await createPendingPeerKey(peerKeyFile, KEYSTORE);
    expect(rotation.peerId).not.toBe(init.peerId);

    // Restarted before the on-chain call: still the registered key, the pending one kept.
    node = await start();
    try {
      expect(node.p2p.peerId).toBe(init.peerId);
    } finally {
      await node.close();
    }
    expect(existsSync(`${peerKeyFile}.pending`)).toBe(true);

    // The operator's owner (anvil's first account in the fixture) sends the printed call.
    const owner = createWalletClient({
      account: privateKeyToAccount(ANVIL_KEY),
      chain: { ...foundry, id: anvil.chainId },
      transport: http(anvil.rpcUrl),
    });
    const hash = await owner.writeContract({
      address: chain.registry,
      abi: vigilRegistryAbi,
      functionName: "updateOperatorPeerId",
      args: [init.signer, rotation.peerIdBytes],
    });
    expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");

    // Next start: the registry holds the new id, so the pending key becomes the peer key.
    node = await start();
    try {
      expect(node.p2p.peerId).toBe(rotation.peerId);
      expect(node.operators().find((o) => o.signer === init.signer)?.peerId).toBe(rotation.peerId);
    } finally {
      await node.close();
    }
    expect(existsSync(`${peerKeyFile}.pending`)).toBe(false);
    expect((await readPeerKey(peerKeyFile, password)).peerId).toBe(rotation.peerId);
    expect((await readPeerKey(`${peerKeyFile}.previous`, password)).peerId).toBe(init.peerId);
    expect(JSON.parse(readFileSync(peerKeyFile, "utf8"))).toMatchObject({ kind: "libp2p-peer-key" });

    // And it stays on the new key.
    node = await start();
    try {
      expect(node.p2p.peerId).toBe(rotation.peerId);
    } finally {
      await node.close();
    }
  });
});
