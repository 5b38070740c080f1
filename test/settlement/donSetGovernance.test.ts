// `vigil workflow don set` under governance (issue 19): the forwarder belongs to the timelock, so the command
// prints the proposal (targets, values, calldatas, description, governor, timelock) instead of sending a
// transaction that would revert; with --propose it submits it, and once voted, queued and executed the
// forwarder accepts the new DON config.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  decodeFunctionData,
  type Hex,
  http,
  keccak256,
  parseAbi,
  parseEther,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Deployment, vigilGovernorAbi, vigilTokenAbi } from "../../contracts/index";
import { runWorkflowCli } from "../../oracle-node/cre-host/index";
import { readDonConfigs } from "../../oracle-node/settlement/setDonConfig";
import { deployVigil } from "../../scripts/deploy/deploy";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";

const ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;
const admin = privateKeyToAccount(ANVIL_KEY);
const signers = Array.from({ length: 5 }, () => privateKeyToAccount(generatePrivateKey()).address);
const forwarderAbi = parseAbi([
  "function setConfig(uint32 donId, uint32 configVersion, uint8 f, address[] signers)",
]);

let anvil: Anvil;
let d: Deployment;
let deploymentFile: string;

const cli = async (args: string[], env: Record<string, string> = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runWorkflowCli(
    ["don", "set", "--rpc-url", anvil.rpcUrl, "--deployment", deploymentFile, ...args],
    { out: (l) => out.push(l), err: (l) => err.push(l), env },
  );
  return { code, out, err };
};

beforeAll(async () => {
  anvil = await startAnvil();
  d = await deployVigil({
    rpcUrl: anvil.rpcUrl,
    privateKey: ANVIL_KEY,
    signers: signers.slice(0, 4),
    f: 1,
    mint: [{ to: admin.address, amount: parseEther("1000") }],
    governance: { votingDelay: 1, votingPeriod: 10, timelockDelay: 2n, quorumPercent: 4 },
  });
  deploymentFile = join(mkdtempSync(join(tmpdir(), "vigil-don-gov-")), "deployment.json");
  writeFileSync(deploymentFile, JSON.stringify(d));
  const wallet = createWalletClient({
    account: admin,
    chain: { ...foundry, id: anvil.chainId },
    transport: http(anvil.rpcUrl),
  });
  const client = createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
  await client.waitForTransactionReceipt({
    hash: await wallet.writeContract({
      address: d.token,
      abi: vigilTokenAbi,
      functionName: "delegate",
      args: [admin.address],
    }),
  });
});
afterAll(async () => {
  await anvil?.stop();
});

describe("vigil workflow don set under governance", () => {
  it("prints the proposal, with no key and no transaction, when the forwarder's owner is a timelock", async () => {
    const { code, out, err } = await cli(["--signers", signers.join(","), "--f", "1"]);
    expect(code, err.join("\n")).toBe(0);
    const printed = JSON.parse(out[0]!);
    expect(printed).toMatchObject({
      governance: true,
      governor: d.governor,
      timelock: d.timelock,
      forwarder: d.forwarder,
      targets: [d.forwarder],
      values: ["0"],
      configVersion: 2,
    });
    expect(decodeFunctionData({ abi: forwarderAbi, data: printed.calldatas[0] })).toEqual({
      functionName: "setConfig",
      args: [1, 2, 1, signers],
    });
    expect(printed.description).toMatch(/^DON 1: config version 2, f=1/);
  });

  it("submits it with --propose; voted, queued and executed, the forwarder accepts the new DON", async () => {
    const { code, out, err } = await cli(["--signers", signers.join(","), "--f", "1", "--propose"], {
      VIGIL_PRIVATE_KEY: ANVIL_KEY,
    });
    expect(code, err.join("\n")).toBe(0);
    const p = JSON.parse(out[0]!) as {
      proposalId: string;
      targets: Address[];
      calldatas: Hex[];
      description: string;
    };
    const proposalId = BigInt(p.proposalId);
    const chain = { ...foundry, id: anvil.chainId };
    const client = createPublicClient({ chain, transport: http(anvil.rpcUrl), pollingInterval: 50 });
    const wallet = createWalletClient({ account: admin, chain, transport: http(anvil.rpcUrl) });
    const test = createTestClient({ mode: "anvil", transport: http(anvil.rpcUrl) });
    const governor = d.governor as Address;
    const state = () =>
      client.readContract({
        address: governor,
        abi: vigilGovernorAbi,
        functionName: "state",
        args: [proposalId],
      });
    const send = async (functionName: "castVote" | "queue" | "execute", args: readonly unknown[]) => {
      const hash = await wallet.writeContract({
        address: governor,
        abi: vigilGovernorAbi,
        functionName,
        args: args as never,
      });
      expect((await client.waitForTransactionReceipt({ hash })).status).toBe("success");
    };
    expect(await state()).toBe(0); // Pending
    await test.mine({ blocks: 2 });
    await send("castVote", [proposalId, 1]);
    await test.mine({ blocks: 11 });
    const call = [p.targets, [0n], p.calldatas, keccak256(toHex(p.description))] as const;
    await send("queue", call);
    // The 2 s timelock delay runs on the wall clock: execute once the chain's next block is past it.
    await vi.waitFor(() => send("execute", call), { timeout: 15_000, interval: 500 });
    expect(await state()).toBe(7); // Executed
    const configs = await readDonConfigs(client, { forwarder: d.forwarder, donId: 1 });
    expect(configs.get(2)).toEqual({ f: 1, signers });
  });
});
