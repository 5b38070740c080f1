import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import {
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  maxUint256,
  parseEther,
  toHex,
} from "viem";
import { type HDAccount, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localRmnAbi, offRampAbi, onRampAbi, routerClientAbi, tokenAbi, tokenPoolAbi } from "../abi.js";
import { getTransferStatus, waitForDelivery } from "../client/getTransferStatus.js";
import { sendTransfer } from "../client/sendTransfer.js";
import type { ChainClients } from "../deploy.js";
import { BridgeError } from "../errors.js";
import { type Relayer, startRelayer } from "../relayer/startRelayer.js";
import { chainClients, laneChain } from "./clients.js";
import type { LaneChain } from "./laneConfig.js";
import { type LocalLane, startLocalLane } from "./startLocalLane.js";

// Anvil's dev accounts 2..7 (its default mnemonic): the users of the random-transfer test.
const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";
const USERS: HDAccount[] = Array.from({ length: 6 }, (_, i) =>
  mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i + 2 }),
);
const USER_FUNDS = parseEther("1000000");
const TRANSFERS = Number(process.env.BRIDGE_TEST_TRANSFERS ?? 1_000);

describe("local CCIP lane", () => {
  let lane: LocalLane;
  let dir: string;
  let admin: [ChainClients, ChainClients];
  const minted: [bigint, bigint] = [0n, 0n];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vigil-lane-"));
    lane = await startLocalLane({
      rateLimit: { isEnabled: true, capacity: parseEther("1000000000"), rate: parseEther("1000000") },
    });
    const deployer = privateKeyToAccount(lane.deployerKey);
    admin = lane.config.chains.map((c) => chainClients(laneChain(c.chainId, c.name, c.rpcUrl), deployer)) as [
      ChainClients,
      ChainClients,
    ];
    for (const [i, chain] of lane.config.chains.entries()) {
      const c = admin[i] as ChainClients;
      await c.public.waitForTransactionReceipt({
        hash: await c.wallet.writeContract({
          address: chain.token,
          abi: tokenAbi,
          functionName: "grantMintAndBurnRoles",
          args: [deployer.address],
        }),
      });
    }
  }, 120_000);

  afterAll(async () => {
    await lane?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function mint(i: 0 | 1, to: Address, amount: bigint) {
    const c = admin[i];
    const chain = lane.config.chains[i];
    await c.public.waitForTransactionReceipt({
      hash: await c.wallet.writeContract({
        address: chain.token,
        abi: tokenAbi,
        functionName: "mint",
        args: [to, amount],
      }),
    });
    minted[i] += amount;
  }

  function userClients(user: HDAccount, i: 0 | 1): ChainClients {
    const chain = lane.config.chains[i];
    return chainClients(laneChain(chain.chainId, chain.name, chain.rpcUrl), user);
  }

  it("sends, relays and reports a transfer as delivered", async () => {
    const [a, b] = lane.config.chains;
    const user = USERS[0] as HDAccount;
    await mint(0, user.address, parseEther("10"));
    const relayer = startRelayer({
      lane: lane.config,
      privateKey: lane.relayerKey,
      dbPath: join(dir, "smoke.db"),
    });
    try {
      const sent = await sendTransfer({
        from: a,
        to: b,
        clients: userClients(user, 0),
        amount: parseEther("4"),
        toAddress: user.address,
      });
      const progress: string[] = [];
      const status = await waitForDelivery(lane.config, admin, sent.messageId, {
        timeoutMs: 20_000,
        onProgress: (s) => progress.push(s.state),
      });
      expect(status.state).toBe("delivered");
      expect(status.deliveryTx).toMatch(/^0x/);
      expect(progress.at(-1)).toBe("delivered");
      const balance = await admin[1].public.readContract({
        address: b.token,
        abi: tokenAbi,
        functionName: "balanceOf",
        args: [user.address],
      });
      expect(balance).toBe(parseEther("4"));
    } finally {
      await relayer.stop();
    }
    await expect(getTransferStatus(lane.config, admin, `0x${"ab".repeat(32)}`)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(getTransferStatus(lane.config, admin, "0x1234" as Hex)).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });

  it(`carries ${TRANSFERS} random transfers both ways exactly once across relayer restarts`, async () => {
    const chains = lane.config.chains;
    const users = USERS;
    for (const u of users) {
      await mint(0, u.address, USER_FUNDS);
      await mint(1, u.address, USER_FUNDS);
    }
    // Random but reproducible: a failure can be replayed with the printed seed.
    const seed = Number(process.env.BRIDGE_TEST_SEED ?? Date.now() % 2 ** 31);
    const random = mulberry32(seed);
    console.info(`bridge random-transfer seed ${seed}`);

    // One approval per user and chain, then raw sends with local nonces: one RPC call per transfer.
    const nonces = new Map<string, number>();
    const senders = users.map((u) => [userClients(u, 0), userClients(u, 1)] as const);
    for (const [u, user] of users.entries()) {
      for (const i of [0, 1] as const) {
        const c = senders[u]?.[i] as ChainClients;
        await c.public.waitForTransactionReceipt({
          hash: await c.wallet.writeContract({
            address: chains[i].token,
            abi: tokenAbi,
            functionName: "approve",
            args: [chains[i].router, maxUint256],
          }),
        });
        nonces.set(`${i}:${user.address}`, await c.public.getTransactionCount({ address: user.address }));
      }
    }
    const expected: [Map<Address, bigint>, Map<Address, bigint>] = [new Map(), new Map()];
    for (const u of users) {
      expected[0].set(u.address, USER_FUNDS);
      expected[1].set(u.address, USER_FUNDS);
    }
    const plan = Array.from({ length: TRANSFERS }, () => {
      const from = (random() < 0.5 ? 0 : 1) as 0 | 1;
      const sender = Math.floor(random() * users.length);
      const receiver = Math.floor(random() * users.length);
      // Up to 100 VGL with random low digits, so a lost or doubled wei would show.
      const amount = BigInt(Math.floor(random() * 1e9) + 1) * 100_000_000_003n;
      return { from, sender, receiver, amount };
    });
    for (const t of plan) {
      const to = (1 - t.from) as 0 | 1;
      const s = users[t.sender]?.address as Address;
      const r = users[t.receiver]?.address as Address;
      expected[t.from].set(s, (expected[t.from].get(s) ?? 0n) - t.amount);
      expected[to].set(r, (expected[to].get(r) ?? 0n) + t.amount);
    }

    const dbPath = join(dir, "relayer.db");
    const logger = process.env.BRIDGE_TEST_LOG ? pino({ level: "info" }, pino.destination(2)) : undefined;
    let relayer: Relayer = startRelayer({
      lane: lane.config,
      privateKey: lane.relayerKey,
      dbPath,
      batchSize: 100,
      logger,
    });
    let restarts = 0;
    let reconciled = 0;
    let invariantChecks = 0;
    let done = false;
    const restartLoop = (async () => {
      // Restart at random moments until everything is delivered; a stop may land between a mined
      // delivery and its record in the file, which is the case exactly-once must survive.
      while (!done) {
        await new Promise((r) => setTimeout(r, 100 + random() * 600));
        if (done) break;
        await checkSupply();
        const old = relayer;
        await old.stop();
        reconciled += old.stats.reconciled;
        relayer = startRelayer({
          lane: lane.config,
          privateKey: lane.relayerKey,
          dbPath,
          batchSize: 1 + Math.floor(random() * 100),
          logger,
        });
        restarts++;
      }
    })();

    /** supply A + supply B + in flight == minted − burned (no other burns here), to the wei, at pinned blocks. */
    async function checkSupply() {
      // One block behind the head: anvil can answer for the newest block before its logs are indexed.
      const blocks = await Promise.all(
        admin.map(async (c) => (await c.public.getBlockNumber({ cacheTime: 0 })) - 1n),
      );
      const supply = await Promise.all(
        chains.map((c, i) =>
          admin[i]?.public.readContract({
            address: c.token,
            abi: tokenAbi,
            functionName: "totalSupply",
            blockNumber: blocks[i],
          }),
        ),
      );
      let inFlight = 0n;
      const perChain: bigint[] = [];
      for (const i of [0, 1] as const) {
        const j = 1 - i;
        const sent = await admin[i].public.getContractEvents({
          address: chains[i].onRamp,
          abi: onRampAbi,
          eventName: "CCIPMessageSent",
          fromBlock: chains[i].deployBlock,
          toBlock: blocks[i],
          strict: true,
        });
        const delivered = await (admin[j] as ChainClients).public.getContractEvents({
          address: (chains[j] as LaneChain).offRamp,
          abi: offRampAbi,
          eventName: "ExecutionStateChanged",
          fromBlock: (chains[j] as LaneChain).deployBlock,
          toBlock: blocks[j],
          strict: true,
        });
        const deliveredHere = await admin[i].public.getContractEvents({
          address: chains[i].offRamp,
          abi: offRampAbi,
          eventName: "ExecutionStateChanged",
          fromBlock: chains[i].deployBlock,
          toBlock: blocks[i],
          strict: true,
        });
        perChain.push(
          minted[i] -
            sent.reduce((s, l) => s + l.args.message.amount, 0n) +
            deliveredHere.reduce((s, l) => s + l.args.amount, 0n) -
            (supply[i] as bigint),
        );
        inFlight +=
          sent.reduce((s, l) => s + l.args.message.amount, 0n) -
          delivered.reduce((s, l) => s + l.args.amount, 0n);
      }
      if (perChain.some((d) => d !== 0n)) console.error({ perChain });
      if ((supply[0] as bigint) + (supply[1] as bigint) + inFlight !== minted[0] + minted[1]) {
        console.error({ blocks, supply, inFlight, minted });
      }
      expect((supply[0] as bigint) + (supply[1] as bigint) + inFlight).toBe(minted[0] + minted[1]);
      invariantChecks++;
    }

    // Messages sent and delivered per direction, read from the ramps.
    const counts = () =>
      Promise.all(
        ([0, 1] as const).map(async (i) => {
          const j = (1 - i) as 0 | 1;
          const last = await admin[i].public.readContract({
            address: chains[i].onRamp,
            abi: onRampAbi,
            functionName: "getSequenceNumber",
            args: [chains[j].chainSelector],
          });
          const seqs = Array.from({ length: Number(last) }, (_, n) => BigInt(n + 1));
          const states = seqs.length
            ? await admin[j].public.readContract({
                address: chains[j].offRamp,
                abi: offRampAbi,
                functionName: "getExecutionStates",
                args: [seqs],
              })
            : [];
          return { sent: Number(last), delivered: states.filter(Boolean).length };
        }),
      );
    const before = (await counts()).reduce((n, c) => n + c.sent, 0); // the smoke test's transfer
    const started = Date.now();
    // Sends go out in parallel batches, one transaction per transfer, each user's nonces in order.
    const BATCH = 50;
    const sends: { hash: Hex; client: ChainClients }[] = [];
    for (let k = 0; k < plan.length; k += BATCH) {
      const bySender = new Map<string, typeof plan>();
      for (const t of plan.slice(k, k + BATCH)) {
        const key = `${t.from}:${t.sender}`;
        bySender.set(key, [...(bySender.get(key) ?? []), t]);
      }
      await Promise.all(
        [...bySender.values()].map(async (ts) => {
          for (const t of ts) {
            const to = (1 - t.from) as 0 | 1;
            const c = senders[t.sender]?.[t.from] as ChainClients;
            const address = users[t.sender]?.address as Address;
            const key = `${t.from}:${address}`;
            const nonce = nonces.get(key) as number;
            nonces.set(key, nonce + 1);
            const hash = await c.wallet.sendTransaction({
              to: chains[t.from].router,
              data: encodeFunctionData({
                abi: routerClientAbi,
                functionName: "ccipSend",
                args: [
                  chains[to].chainSelector,
                  {
                    receiver: encodeAbiParameters(
                      [{ type: "address" }],
                      [users[t.receiver]?.address as Address],
                    ),
                    data: "0x",
                    tokenAmounts: [{ token: chains[t.from].token, amount: t.amount }],
                    feeToken: "0x0000000000000000000000000000000000000000",
                    extraArgs: "0x",
                  },
                ],
              }),
              nonce,
              gas: 400_000n,
              maxFeePerGas: 10_000_000_000n,
              maxPriorityFeePerGas: 1n,
            });
            sends.push({ hash, client: c });
          }
        }),
      );
    }
    // A send that reverts (out of gas, say) never reaches the onRamp: check each one landed.
    const reverted = (
      await Promise.all(
        sends.map(async ({ hash, client }) => {
          const r = await client.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
          return r.status === "success" ? [] : [`${hash}: ${r.status} (gas used ${r.gasUsed})`];
        }),
      )
    ).flat();
    expect(reverted, "every ccipSend succeeded").toEqual([]);
    const sentAt = Date.now();

    // Every send was mined (awaited above), so all TRANSFERS are counted as sent; wait for deliveries
    // while they progress (a loaded machine relays slowly), and fail once they stall.
    let progress = { at: Date.now(), delivered: -1 };
    for (;;) {
      const c = await counts();
      const total = (c[0]?.sent ?? 0) + (c[1]?.sent ?? 0);
      expect(total, "every ccipSend is counted by its onRamp").toBe(before + TRANSFERS);
      const delivered = (c[0]?.delivered ?? 0) + (c[1]?.delivered ?? 0);
      if (delivered === total) break;
      if (delivered > progress.delivered) progress = { at: Date.now(), delivered };
      if (Date.now() - progress.at > 30_000)
        throw new Error(`deliveries stalled for 30 s: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    done = true;
    await restartLoop;
    await relayer.stop();
    reconciled += relayer.stats.reconciled;
    console.info(
      `bridge: ${TRANSFERS} transfers sent in ${sentAt - started} ms, all delivered after ${Date.now() - started} ms; ${restarts} relayer restarts, ${reconciled} deliveries reconciled from chain, ${invariantChecks} supply checks`,
    );
    expect(restarts).toBeGreaterThan(0);

    // Each sequence number delivered exactly once, with the id the source emitted, and nothing else delivered.
    for (const i of [0, 1] as const) {
      const j = (1 - i) as 0 | 1;
      const sent = await admin[i].public.getContractEvents({
        address: chains[i].onRamp,
        abi: onRampAbi,
        eventName: "CCIPMessageSent",
        fromBlock: chains[i].deployBlock,
        strict: true,
      });
      const delivered = await admin[j].public.getContractEvents({
        address: chains[j].offRamp,
        abi: offRampAbi,
        eventName: "ExecutionStateChanged",
        fromBlock: chains[j].deployBlock,
        strict: true,
      });
      expect(delivered.length).toBe(sent.length);
      const bySeq = new Map(delivered.map((d) => [d.args.sequenceNumber, d.args.messageId]));
      expect(bySeq.size).toBe(delivered.length);
      for (const s of sent) expect(bySeq.get(s.args.sequenceNumber)).toBe(s.args.messageId);
    }
    await checkSupply();
    // Every user's balance on each chain is what the plan says, to the wei.
    for (const i of [0, 1] as const) {
      for (const u of users) {
        const balance = await admin[i].public.readContract({
          address: chains[i].token,
          abi: tokenAbi,
          functionName: "balanceOf",
          args: [u.address],
        });
        // The smoke test above left 6 VGL with user 0 on A and 4 on B.
        const extra = u.address === users[0]?.address ? (i === 0 ? parseEther("6") : parseEther("4")) : 0n;
        expect(balance).toBe((expected[i].get(u.address) ?? 0n) + extra);
      }
    }
  }, 120_000);

  it("keeps retrying while the destination is cursed and delivers once the curse is lifted", async () => {
    const [a, b] = lane.config.chains;
    const user = USERS[4] as HDAccount;
    await mint(0, user.address, parseEther("3"));
    // The RMN subject of a remote chain is its selector, as the pools ask.
    const subject = toHex(a.chainSelector, { size: 16 });
    const curse = async (cursed: boolean) =>
      admin[1].public.waitForTransactionReceipt({
        hash: await admin[1].wallet.writeContract({
          address: b.rmn,
          abi: localRmnAbi,
          functionName: "setCurse",
          args: [subject, cursed],
        }),
      });
    await curse(true);
    const relayer = startRelayer({
      lane: lane.config,
      privateKey: lane.relayerKey,
      dbPath: join(dir, "curse.db"),
    });
    try {
      const ids: Hex[] = [];
      for (let k = 0; k < 3; k++) {
        const sent = await sendTransfer({
          from: a,
          to: b,
          clients: userClients(user, 0),
          amount: parseEther("1"),
          toAddress: user.address,
        });
        ids.push(sent.messageId);
      }
      await new Promise((r) => setTimeout(r, 1_500));
      expect(relayer.stats.failures).toBeGreaterThan(0);
      for (const id of ids) expect((await getTransferStatus(lane.config, admin, id)).state).toBe("in-flight");
      await curse(false);
      for (const id of ids) {
        expect((await waitForDelivery(lane.config, admin, id, { timeoutMs: 20_000 })).state).toBe(
          "delivered",
        );
      }
    } finally {
      await relayer.stop();
    }
  });

  it("refuses a transfer above the rate-limit bucket with the pool's error, explained", async () => {
    const [a, b] = lane.config.chains;
    await admin[0].public.waitForTransactionReceipt({
      hash: await admin[0].wallet.writeContract({
        address: a.pool,
        abi: tokenPoolAbi,
        functionName: "setRateLimitConfig",
        args: [
          [
            {
              remoteChainSelector: b.chainSelector,
              fastFinality: false,
              outboundRateLimiterConfig: {
                isEnabled: true,
                capacity: parseEther("100"),
                rate: parseEther("1"),
              },
              inboundRateLimiterConfig: {
                isEnabled: true,
                capacity: parseEther("110"),
                rate: parseEther("1.1"),
              },
            },
          ],
        ],
      }),
    });
    const user = USERS[5] as HDAccount;
    const clients = userClients(user, 0);
    const above = sendTransfer({
      from: a,
      to: b,
      clients,
      amount: parseEther("150"),
      toAddress: user.address,
    });
    await expect(above).rejects.toBeInstanceOf(BridgeError);
    await expect(above).rejects.toMatchObject({
      code: "RATE_LIMIT_CAPACITY",
      shortMessage: expect.stringContaining(
        "transfer of 150 VGL exceeds the outbound rate limit bucket (capacity 100 VGL, available 100 VGL)",
      ),
    });
    await sendTransfer({ from: a, to: b, clients, amount: parseEther("90"), toAddress: user.address });
    await expect(
      sendTransfer({ from: a, to: b, clients, amount: parseEther("50"), toAddress: user.address }),
    ).rejects.toMatchObject({
      code: "RATE_LIMIT_WAIT",
      shortMessage: expect.stringMatching(
        /exceeds the outbound rate limit bucket \(capacity 100 VGL, available 1\d(\.\d+)? VGL\)/,
      ),
    });
    await expect(
      sendTransfer({ from: a, to: b, clients, amount: 0n, toAddress: user.address }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});

/** Small seeded PRNG (public-domain mulberry32) so a failing run can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
