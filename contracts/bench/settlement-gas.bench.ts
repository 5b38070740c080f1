import {
  type Address,
  createPublicClient,
  createWalletClient,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  parseEther,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import type { BenchScenario } from "../../scripts/bench/scenario";
import { rawReport, signReport } from "../../scripts/contracts/forwarderReport";
import { deployVigil, workflowNameBytes10 } from "../../scripts/deploy/deploy";
import { startAnvil } from "../../scripts/devnet/anvil";
import { keystoneForwarderAbi, vigilSettlementAbi, vigilTokenAbi } from "../abi";
import { buildLinesTree, type DeviceLine, type LinesTree, lineProof } from "../lines";
import { encodeEpochSettlementReport } from "../reports";

const DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const BUDGET = parseEther("100000");
const NETWORK_ID = 1n;

/** Gas the EVM charges for calldata before execution (EIP-2028: 16 per non-zero byte, 4 per zero byte). */
function calldataGas(data: Hex): bigint {
  let gas = 0n;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === "00" ? 4n : 16n;
  return gas;
}

function makeLines(epoch: bigint, count: number, owners: readonly Address[]): DeviceLine[] {
  const reward = BUDGET / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    networkId: NETWORK_ID,
    epoch,
    deviceId: keccak256(encodeAbiParameters([{ type: "uint256" }], [BigInt(i)])),
    owner: owners[i % owners.length]!,
    uptimeBps: 9_000 + (i % 1_000),
    work: BigInt(1_000 + i),
    reward,
    slash: 0n,
  }));
}

export const scenario: BenchScenario = {
  name: "settlement-gas",
  description:
    "gas of one epoch settlement (10 vs 100,000 devices; receiver onReport and full KeystoneForwarder tx) and of a claim against the 100k-device tree, on anvil",
  async run() {
    const anvil = await startAnvil({ args: ["--gas-limit", "100000000"] });
    try {
      const deployer = privateKeyToAccount(DEPLOYER_KEY);
      const donKeys = Array.from({ length: 4 }, () => generatePrivateKey());
      const workflowName = workflowNameBytes10("epoch-settlement");
      const deployment = await deployVigil({
        rpcUrl: anvil.rpcUrl,
        privateKey: DEPLOYER_KEY,
        signers: donKeys.map((k) => privateKeyToAccount(k).address),
        f: 1,
        workflows: [{ kind: 1, owner: deployer.address, name: workflowName }],
        network: { rewardBudgetPerEpoch: BUDGET, stakePerDevice: 0n, epochLength: 1, k: 3 },
        mint: [{ to: deployer.address, amount: BUDGET * 20n }],
      });
      const transport = http(anvil.rpcUrl);
      const client = createPublicClient({ chain: foundry, transport, pollingInterval: 50 });
      const wallet = createWalletClient({
        account: deployer,
        chain: foundry,
        transport,
        pollingInterval: 50,
      });
      const waitGas = async (hash: Hex) => {
        const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
        if (receipt.status !== "success") throw new Error(`bench tx ${hash} reverted`);
        return receipt.gasUsed;
      };
      await waitGas(
        await wallet.writeContract({
          address: deployment.token,
          abi: vigilTokenAbi,
          functionName: "approve",
          args: [deployment.settlement, BUDGET * 20n],
        }),
      );
      await waitGas(
        await wallet.writeContract({
          address: deployment.settlement,
          abi: vigilSettlementAbi,
          functionName: "depositBudget",
          args: [NETWORK_ID, BUDGET * 20n],
        }),
      );
      const owners = Array.from({ length: 1_000 }, () => privateKeyToAccount(generatePrivateKey()).address);
      const settlementOf = (epoch: bigint, tree: LinesTree, count: number) =>
        encodeEpochSettlementReport({
          networkId: NETWORK_ID,
          epoch,
          resultRoot: tree.root as Hex,
          // No observations (no fee configured here): the commitment of an empty list.
          observationsCommitment: keccak256("0x"),
          deviceCount: count,
          qualifiedCount: count,
          totalReward: BUDGET,
          totalSlash: 0n,
          slashes: [],
          observations: [],
        });
      const metadata = (epoch: bigint) =>
        `0x${keccak256(toHex(`cid-${epoch}`)).slice(2)}${workflowName.slice(2)}${deployer.address.slice(2)}0001` as Hex;
      const endEpoch = () => client.request({ method: "evm_increaseTime" as never, params: [2] as never });

      // The receiver alone: the settlement's onReport called by the (impersonated) forwarder.
      await client.request({
        method: "anvil_impersonateAccount" as never,
        params: [deployment.forwarder] as never,
      });
      await client.request({
        method: "anvil_setBalance" as never,
        params: [deployment.forwarder, toHex(parseEther("10"))] as never,
      });
      // anvil signs for the impersonated address: a JSON-RPC account.
      const asForwarder = createWalletClient({ account: deployment.forwarder, chain: foundry, transport });
      const settleAsForwarder = async (epoch: bigint, tree: LinesTree, count: number) => {
        await endEpoch();
        const data = encodeFunctionData({
          abi: vigilSettlementAbi,
          functionName: "onReport",
          args: [metadata(epoch), settlementOf(epoch, tree, count)],
        });
        const hash = await asForwarder.sendTransaction({ to: deployment.settlement, data, gas: 1_000_000n });
        const txGas = await waitGas(hash);
        return { txGas, executionGas: txGas - 21_000n - calldataGas(data) };
      };
      // The full path: f + 1 = 2 DON signatures checked by the real KeystoneForwarder.
      const settleThroughForwarder = async (epoch: bigint, tree: LinesTree, count: number) => {
        await endEpoch();
        const raw = rawReport(
          {
            executionId: keccak256(toHex(`execution-${epoch}`)),
            timestamp: Math.floor(Date.now() / 1000),
            donId: 1,
            configVersion: 1,
            workflowCid: keccak256(toHex(`cid-${epoch}`)),
            workflowName,
            workflowOwner: deployer.address,
            reportId: "0x0001",
          },
          settlementOf(epoch, tree, count),
        );
        const context = keccak256(toHex(`context-${epoch}`));
        const signatures = await signReport(raw, context, donKeys.slice(0, 2));
        const hash = await wallet.writeContract({
          address: deployment.forwarder,
          abi: keystoneForwarderAbi,
          functionName: "report",
          args: [deployment.settlement, raw, context, signatures],
          gas: 1_000_000n,
        });
        const gas = await waitGas(hash);
        const latest = await client.readContract({
          address: deployment.settlement,
          abi: vigilSettlementAbi,
          functionName: "nextEpoch",
          args: [NETWORK_ID],
        });
        if (latest !== epoch + 1n)
          throw new Error(`forwarder delivered epoch ${epoch} but the receiver rejected it`);
        return gas;
      };

      // Epoch 0 pays the one-time first write of the network's beacon; measure from epoch 1 on.
      const warm = buildLinesTree(makeLines(0n, 10, owners));
      await settleAsForwarder(0n, warm, 10);

      const small1 = buildLinesTree(makeLines(1n, 10, owners));
      const receiverSmall = await settleAsForwarder(1n, small1, 10);
      const t0 = performance.now();
      const bigLines = makeLines(2n, 100_000, owners);
      const big2 = buildLinesTree(bigLines);
      const treeBuildMs = Math.round(performance.now() - t0);
      const receiverBig = await settleAsForwarder(2n, big2, 100_000);
      const fullSmall = await settleThroughForwarder(3n, buildLinesTree(makeLines(3n, 10, owners)), 10);
      const fullBig = await settleThroughForwarder(
        4n,
        buildLinesTree(makeLines(4n, 100_000, owners)),
        100_000,
      );

      // Claims against the 100k-device tree. Steady state: device 5 claimed epoch 1 already, so its claimed-bitmap
      // word and its owner's balance are non-zero. First claim: a device and owner that never got anything.
      // Only a line's owner may claim it: anvil signs for the (impersonated) owner.
      const claim = async (epoch: bigint, tree: LinesTree, line: DeviceLine) => {
        await client.request({ method: "anvil_impersonateAccount" as never, params: [line.owner] as never });
        await client.request({
          method: "anvil_setBalance" as never,
          params: [line.owner, toHex(parseEther("1"))] as never,
        });
        const asOwner = createWalletClient({ account: line.owner, chain: foundry, transport });
        return waitGas(
          await asOwner.writeContract({
            address: deployment.settlement,
            abi: vigilSettlementAbi,
            functionName: "claim",
            args: [NETWORK_ID, epoch, line, lineProof(tree, line)],
          }),
        );
      };
      const smallLines1 = makeLines(1n, 10, owners);
      await claim(1n, small1, smallLines1[5]!);
      const steadyGas = await claim(2n, big2, bigLines[5]!);
      const firstGas = await claim(2n, big2, bigLines[12_345]!);

      const ratio = Number(receiverBig.executionGas) / Number(receiverSmall.executionGas);
      return {
        counting:
          "receiver = settlement.onReport sent by the impersonated forwarder: tx gasUsed minus 21000 intrinsic and calldata gas; forwarderTx = full KeystoneForwarder.report tx with f+1=2 signatures (tx gasUsed); settlements in steady state (epoch >= 1); claims = full tx gasUsed, steady state = device that claimed the previous epoch, owner already holding tokens",
        receiverGas10: Number(receiverSmall.executionGas),
        receiverGas100k: Number(receiverBig.executionGas),
        receiverTxGas10: Number(receiverSmall.txGas),
        receiverTxGas100k: Number(receiverBig.txGas),
        ratio100kTo10: Number(ratio.toFixed(4)),
        ratioTarget: 1.05,
        receiverGasTarget: 150_000,
        forwarderTxGas10: Number(fullSmall),
        forwarderTxGas100k: Number(fullBig),
        claimGas100kSteadyState: Number(steadyGas),
        claimGas100kFirstEverClaim: Number(firstGas),
        claimGasTarget: 80_000,
        proofLength100k: lineProof(big2, bigLines[5]!).length,
        treeBuild100kMs: treeBuildMs,
        ok: ratio <= 1.05 && receiverBig.executionGas <= 150_000n && steadyGas <= 80_000n,
      };
    } finally {
      await anvil.stop();
    }
  },
};
