import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import {
  createTestClient,
  type Hex,
  http,
  keccak256,
  type LocalAccount,
  type PublicClient,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  equivocationCommitment,
  resultVoteDomain,
  resultVoteTypes,
  vigilRegistryAbi,
  vigilSettlementAbi,
} from "../../contracts/index";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { type Deployed, deployChainFixture } from "../../test/node/chainFixture";
import type { EquivocationEvidence } from "../agreement/types";
import { createChainClient } from "../chain/createChainClient";
import { createLogger } from "../logger";
import { createEquivocationReporter } from "./equivocationReporter";

// anvil's default accounts 1-3 (funded with ETH for gas); account 0 deploys in the fixture.
const KEYS: Hex[] = [
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

let anvil: Anvil;
let chain: Deployed;

beforeAll(async () => {
  // A block every second besides automine: the reveal needs a block after the commit's.
  anvil = await startAnvil({ args: ["--block-time", "1", "--mixed-mining"] });
  chain = await deployChainFixture(anvil);
});
afterAll(async () => {
  await anvil?.stop();
});

async function signedVoteBytes(signer: LocalAccount, networkId: bigint, epoch: bigint, root: Hex) {
  const message = { networkId, epoch, resultRoot: root, observationsCommitment: keccak256(toHex("obs")) };
  const signature = await signer.signTypedData!({
    domain: resultVoteDomain(anvil.chainId, chain.settlement),
    types: resultVoteTypes,
    primaryType: "ResultVote",
    message,
  });
  // The agreement's encoding of a ResultVote in evidence (JSON, bigints as strings).
  const json = JSON.stringify({ ...message, signer: signer.address, signature }, (_k, x: unknown) =>
    typeof x === "bigint" ? x.toString() : x,
  );
  return new TextEncoder().encode(json);
}

async function registerOperator(address: Hex) {
  await chain.registerOperator(address, peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString());
}

async function evidenceOf(
  offender: LocalAccount,
  networkId: bigint,
  epoch: bigint,
): Promise<EquivocationEvidence> {
  return {
    networkId,
    epoch,
    signer: offender.address,
    kind: "result-vote",
    first: await signedVoteBytes(offender, networkId, epoch, keccak256(toHex("a"))),
    second: await signedVoteBytes(offender, networkId, epoch, keccak256(toHex("b"))),
  };
}

async function stakeOf(client: PublicClient, signer: Hex) {
  return (
    await client.readContract({
      address: chain.registry,
      abi: vigilRegistryAbi,
      functionName: "getOperator",
      args: [signer],
    })
  ).stake;
}

describe("equivocation reporter against a real anvil", () => {
  it("computes the commitment the contract expects", async () => {
    const sigA = toHex("signature a");
    const sigB = toHex("signature b");
    const salt = keccak256(toHex("salt"));
    const reporter = privateKeyToAccount(KEYS[0]!).address;
    expect(
      await chain.publicClient.readContract({
        address: chain.settlement,
        abi: vigilSettlementAbi,
        functionName: "equivocationCommitment",
        args: [reporter, sigA, sigB, salt],
      }),
    ).toBe(equivocationCommitment(reporter, sigA, sigB, salt));
  });

  it("slashes an equivocating oracle once, from one node, and sends nothing for forged evidence", async () => {
    const client = createChainClient({
      rpcUrls: [anvil.rpcUrl],
      chainId: anvil.chainId,
      pollingIntervalMs: 50,
    });
    const logger = createLogger({ level: "silent" });
    const accounts = KEYS.map((k) => privateKeyToAccount(k));
    for (const a of accounts) await registerOperator(a.address);
    const active = accounts.map((a) => a.address);
    // The offender is accounts[0]; the one reporter is the lowest address among the others.
    const offender = accounts[0]!;
    const [reporterAcc, otherAcc] = accounts
      .slice(1)
      .sort((x, y) => (x.address.toLowerCase() < y.address.toLowerCase() ? -1 : 1));
    const reporterOf = (account: LocalAccount) =>
      createEquivocationReporter({
        client,
        account,
        settlement: chain.settlement,
        activeOracles: () => active,
        logger,
      });
    const networkId = 1n;
    const epoch = 7n;
    const evidence = await evidenceOf(offender, networkId, epoch);
    const nonce = (a: LocalAccount) => client.getTransactionCount({ address: a.address });
    const stake = () => stakeOf(client, offender.address);
    expect(await stake()).toBeGreaterThan(0n);

    const reporter = reporterOf(reporterAcc!);
    // Forged: the second vote is signed by someone else. The contract would revert: nothing is sent.
    const forged = {
      ...evidence,
      second: await signedVoteBytes(otherAcc!, networkId, epoch, keccak256(toHex("b"))),
    };
    expect(await reporterOf(reporterAcc!).report(forged)).toBe("rejected");
    expect(await nonce(reporterAcc!)).toBe(0);

    // The other honest node skips; only the lowest-address one sends.
    expect(await reporterOf(otherAcc!).report(evidence)).toBe("not-reporter");
    expect(await reporter.report(evidence)).toBe("sent");
    expect(await stake()).toBe(0n);
    // Reported again (same node, or a restarted one): no further transaction, not even a commit.
    expect(await reporter.report(evidence)).toBe("duplicate");
    expect(await reporterOf(reporterAcc!).report(evidence)).toBe("nothing-to-slash");
    // One commit, one reveal.
    expect(await nonce(reporterAcc!)).toBe(2);
    expect(await nonce(otherAcc!)).toBe(0);

    const commits = await client.getContractEvents({
      address: chain.settlement,
      abi: vigilSettlementAbi,
      eventName: "EquivocationCommitted",
      fromBlock: 0n,
    });
    expect(commits).toHaveLength(1);
    expect(commits[0]!.args.committer).toBe(reporterAcc!.address);

    const slashed = await client.getContractEvents({
      address: chain.settlement,
      abi: vigilSettlementAbi,
      eventName: "OracleSlashed",
      fromBlock: 0n,
    });
    expect(slashed).toHaveLength(1);
    expect(slashed[0]!.args).toMatchObject({
      signer: offender.address,
      networkId,
      epoch,
      reporter: reporterAcc!.address,
    });
    // The reveal came in a later block than the commit.
    expect(slashed[0]!.blockNumber).toBeGreaterThan(commits[0]!.blockNumber);
  });

  it("gives up when no block follows the commit in time, then retries with a new commitment", async () => {
    const client = createChainClient({
      rpcUrls: [anvil.rpcUrl],
      chainId: anvil.chainId,
      pollingIntervalMs: 50,
    });
    const offender = privateKeyToAccount(generatePrivateKey());
    await registerOperator(offender.address);
    const reporterAcc = privateKeyToAccount(KEYS[0]!);
    const reporter = createEquivocationReporter({
      client,
      account: reporterAcc,
      settlement: chain.settlement,
      activeOracles: () => [offender.address, reporterAcc.address],
      logger: createLogger({ level: "silent" }),
      // Above the 1 s block time, so the retry below gets its block; the stalled attempt waits this long.
      revealTimeoutMs: 2_500,
    });
    const evidence = await evidenceOf(offender, 1n, 9n);
    // Automine only: the commit is mined, and then no block comes.
    const miner = createTestClient({ mode: "anvil", transport: http(anvil.rpcUrl) });
    await miner.setIntervalMining({ interval: 0 });
    await miner.setAutomine(true);
    try {
      expect(await reporter.report(evidence)).toBe("failed");
    } finally {
      await miner.setIntervalMining({ interval: 1 });
    }
    expect(await stakeOf(client, offender.address)).toBeGreaterThan(0n);
    // The failed attempt left the evidence open: the next report commits afresh and slashes.
    expect(await reporter.report(evidence)).toBe("sent");
    expect(await stakeOf(client, offender.address)).toBe(0n);
    const commits = await client.getContractEvents({
      address: chain.settlement,
      abi: vigilSettlementAbi,
      eventName: "EquivocationCommitted",
      args: { committer: reporterAcc.address },
      fromBlock: 0n,
    });
    expect(new Set(commits.map((c) => c.args.commitment)).size).toBe(commits.length);
  });
});
