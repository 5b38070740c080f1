import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeAbiParameters, encodeFunctionData, maxUint256, parseEther, parseEventLogs } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import type { BenchScenario } from "../../scripts/bench/scenario.js";
import { onRampAbi, routerClientAbi, tokenAbi } from "../abi.js";
import type { ChainClients } from "../deploy.js";
import { chainClients, laneChain } from "../lane/clients.js";
import { startLocalLane } from "../lane/startLocalLane.js";
import { startRelayer } from "../relayer/startRelayer.js";

/**
 * Transfers per second through the local lane (two anvils, real pools, one relayer with its SQLite
 * file) and the send→delivered latency: from the mined `ccipSend` to the relayer having recorded the
 * mined delivery. Senders on both chains send concurrently, each waiting for its own receipt.
 */
export const scenario: BenchScenario = {
  name: "bridge",
  description: "local CCIP lane: transfers/s through the relayer and median send->delivered latency",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { transfers: { type: "string", default: "600" }, senders: { type: "string", default: "4" } },
    });
    const transfers = Number(values.transfers);
    const sendersPerChain = Number(values.senders);
    const dir = mkdtempSync(join(tmpdir(), "vigil-bridge-bench-"));
    const lane = await startLocalLane({
      rateLimit: { isEnabled: true, capacity: parseEther("1000000000"), rate: parseEther("1000000") },
    });
    try {
      const chains = lane.config.chains;
      const deployer = privateKeyToAccount(lane.deployerKey);
      const users = Array.from({ length: sendersPerChain }, (_, i) =>
        mnemonicToAccount("test test test test test test test test test test test junk", {
          addressIndex: i + 2,
        }),
      );
      // Fund and approve every sender on both chains.
      for (const chain of chains) {
        const admin = chainClients(laneChain(chain.chainId, chain.name, chain.rpcUrl), deployer);
        await wait(
          admin,
          admin.wallet.writeContract({
            address: chain.token,
            abi: tokenAbi,
            functionName: "grantMintAndBurnRoles",
            args: [deployer.address],
          }),
        );
        for (const u of users) {
          await wait(
            admin,
            admin.wallet.writeContract({
              address: chain.token,
              abi: tokenAbi,
              functionName: "mint",
              args: [u.address, parseEther("1000000")],
            }),
          );
          const c = chainClients(laneChain(chain.chainId, chain.name, chain.rpcUrl), u);
          await wait(
            c,
            c.wallet.writeContract({
              address: chain.token,
              abi: tokenAbi,
              functionName: "approve",
              args: [chain.router, maxUint256],
            }),
          );
        }
      }

      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      let delivered = 0;
      let lastDeliveredAt = 0;
      let resolveAll = () => {};
      const allDelivered = new Promise<void>((resolve) => {
        resolveAll = resolve;
      });
      const relayer = startRelayer({
        lane: lane.config,
        privateKey: lane.relayerKey,
        dbPath: join(dir, "relayer.db"),
        onDelivered: ({ lane: key, messages }) => {
          const now = performance.now();
          for (const m of messages) {
            const start = sentAt.get(`${key}:${m.message.sequenceNumber}`);
            if (start !== undefined) latencies.push(now - start);
          }
          delivered += messages.length;
          lastDeliveredAt = now;
          if (delivered >= transfers) resolveAll();
        },
      });

      const started = performance.now();
      const perSender = Math.ceil(transfers / (2 * sendersPerChain));
      let remaining = transfers;
      await Promise.all(
        ([0, 1] as const).flatMap((from) =>
          users.map(async (u) => {
            const to = 1 - from;
            const src = chains[from];
            const dst = chains[to] as (typeof chains)[0];
            const c = chainClients(laneChain(src.chainId, src.name, src.rpcUrl), u);
            for (let k = 0; k < perSender && remaining > 0; k++) {
              remaining--;
              const hash = await c.wallet.sendTransaction({
                to: src.router,
                data: encodeFunctionData({
                  abi: routerClientAbi,
                  functionName: "ccipSend",
                  args: [
                    dst.chainSelector,
                    {
                      receiver: encodeAbiParameters([{ type: "address" }], [u.address]),
                      data: "0x",
                      tokenAmounts: [{ token: src.token, amount: parseEther("1") }],
                      feeToken: "0x0000000000000000000000000000000000000000",
                      extraArgs: "0x",
                    },
                  ],
                }),
                gas: 400_000n,
              });
              const receipt = await c.public.waitForTransactionReceipt({ hash });
              const [log] = parseEventLogs({
                abi: onRampAbi,
                logs: receipt.logs,
                eventName: "CCIPMessageSent",
              });
              if (log)
                sentAt.set(
                  `${src.chainSelector}->${dst.chainSelector}:${log.args.sequenceNumber}`,
                  performance.now(),
                );
            }
          }),
        ),
      );
      const sendSeconds = (performance.now() - started) / 1000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        allDelivered,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("bench: not all delivered in 120 s")), 120_000);
        }),
      ]).finally(() => clearTimeout(timer));
      await relayer.stop();
      const seconds = (lastDeliveredAt - started) / 1000;
      latencies.sort((x, y) => x - y);
      const pct = (p: number) =>
        Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
      return {
        transfers: delivered,
        transfersPerSec: Math.round((delivered / seconds) * 10) / 10,
        sendsPerSec: Math.round((delivered / sendSeconds) * 10) / 10,
        medianLatencyMs: pct(0.5),
        p95LatencyMs: pct(0.95),
        sendersPerChain,
      };
    } finally {
      await lane.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

async function wait(c: ChainClients, hash: Promise<`0x${string}`>) {
  await c.public.waitForTransactionReceipt({ hash: await hash });
}
