// The DON follower against Chainlink's real KeystoneForwarder on anvil: each ConfigSet, clearConfig
// and operator change turns into the membership nodes run, read in bounded ranges from the last block.
import { pino } from "pino";
import { type Address, getAddress, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { OperatorInfo } from "../chain/index";
import { type CreTestChain, startCreTestChain } from "../cre-host/testChain";
import { createDonFollower } from "./followDon";
import { type DonMembership, resolveDon } from "./resolveDon";
import { readDonConfigs, setDonConfig } from "./setDonConfig";

const logger = pino({ level: "silent" });
const signer = () => privateKeyToAccount(generatePrivateKey()).address;
const operator = (s: Address, i: number, status: OperatorInfo["status"] = "Active"): OperatorInfo => ({
  signer: s,
  status,
  owner: s,
  stake: 1n,
  peerId: `peer-${i}`,
});

describe("resolveDon", () => {
  const signers = Array.from({ length: 5 }, signer);
  const configs = new Map([
    [1, { f: 1, signers: signers.slice(0, 4) }],
    [2, { f: 1, signers }],
  ]);
  const operators = signers.map((s, i) => operator(s, i));

  it("runs the highest version, or the pinned one, with every active registered signer", () => {
    const latest = resolveDon({ donId: 1, configs, operators })!;
    expect(latest).toMatchObject({ configVersion: 2, f: 1, members: signers, signers });
    expect(latest.peerIds).toEqual(signers.map((_, i) => `peer-${i}`));
    const pinned = resolveDon({ donId: 1, configs, operators, pin: 1 })!;
    expect(pinned).toMatchObject({ configVersion: 1, members: signers.slice(0, 4) });
    expect(pinned.scope).not.toBe(latest.scope);
    expect(resolveDon({ donId: 1, configs, operators, pin: 3 })).toBeUndefined();
    expect(resolveDon({ donId: 1, configs: new Map(), operators })).toBeUndefined();
  });

  it("leaves out signers whose operator exited or never registered, and re-scopes the membership", () => {
    const exited = operators.map((o, i) => (i === 1 ? { ...o, status: "Exited" as const } : o));
    const don = resolveDon({ donId: 1, configs, operators: exited.slice(0, 4) })!;
    expect(don.signers).toEqual(signers);
    expect(don.members).toEqual([signers[0], signers[2], signers[3]]);
    expect(don.peerIds).toEqual(["peer-0", "peer-2", "peer-3"]);
    expect(don.scope).not.toBe(resolveDon({ donId: 1, configs, operators })!.scope);
  });
});

describe("createDonFollower on the real KeystoneForwarder", () => {
  let chain: CreTestChain;
  let operators: OperatorInfo[];
  const fifth = signer();
  const v1 = () => chain.signerKeys.map((k) => privateKeyToAccount(k).address);

  beforeAll(async () => {
    chain = await startCreTestChain();
    operators = v1().map((s, i) => operator(s, i));
  }, 60_000);
  afterAll(() => chain?.stop());

  it("follows ConfigSet, clearConfig and the registry's operators, each change once", async () => {
    const client = chain.publicClient as PublicClient;
    const getLogs = vi.spyOn(client, "getLogs");
    const follower = createDonFollower(
      {
        forwarder: chain.forwarder,
        donId: chain.donId,
        fromBlock: 0n,
        operators: () => operators,
        maxBlockRange: 2,
      },
      { client, logger },
    );
    const seen: (DonMembership | undefined)[] = [];
    follower.onChange((don) => seen.push(don));
    await follower.poll();
    expect(follower.current()).toMatchObject({ configVersion: 1, f: 1, members: v1() });
    // The first read walks the history in ranges of at most 2 blocks.
    const ranges = getLogs.mock.calls.map(([a]) => [a!.fromBlock as bigint, a!.toBlock as bigint]);
    expect(ranges.every(([from, to]) => to! - from! <= 1n)).toBe(true);
    const readUpTo = ranges.at(-1)![1]!;

    // The owner adds a fifth signer before its operator registered: the DON moves to version 2 at
    // once, but the unregistered signer is not asked until its operator is active.
    const set = await setDonConfig(client, chain.admin, {
      forwarder: chain.forwarder,
      donId: chain.donId,
      signers: [...v1(), fifth],
      f: 1,
    });
    expect(set).toMatchObject({ configVersion: 2, cleared: [] });
    getLogs.mockClear();
    await follower.poll();
    // Only the blocks after the last one read.
    expect(getLogs.mock.calls[0]![0]!.fromBlock).toBe(readUpTo + 1n);
    expect(follower.current()).toMatchObject({ configVersion: 2, signers: [...v1(), fifth], members: v1() });
    operators = [...operators, operator(fifth, 4)];
    await follower.poll();
    expect(follower.current()!.members).toEqual([...v1(), getAddress(fifth)]);
    await follower.poll(); // nothing new: no change reported
    expect(seen.map((d) => [d?.configVersion, d?.members.length])).toEqual([
      [1, 4],
      [2, 4],
      [2, 5],
    ]);

    // An operator exits: it stops being asked.
    operators = operators.map((o, i) => (i === 0 ? { ...o, status: "Exiting" } : o));
    await follower.poll();
    expect(follower.current()!.members).not.toContain(v1()[0]);

    // Clearing version 2 (the forwarder refuses its reports from then on) falls back to version 1.
    await chain.admin.writeContract({
      address: chain.forwarder,
      abi: chain.forwarderAbi,
      functionName: "clearConfig",
      args: [chain.donId, 2],
      account: chain.admin.account!,
      chain: chain.admin.chain,
    });
    await vi.waitFor(
      async () => {
        await follower.poll();
        expect(follower.current()?.configVersion).toBe(1);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect([
      ...(await readDonConfigs(client, { forwarder: chain.forwarder, donId: chain.donId })).keys(),
    ]).toEqual([1]);
    follower.stop();
  });

  it("keeps to a pinned version", async () => {
    const client = chain.publicClient as PublicClient;
    const follower = createDonFollower(
      {
        forwarder: chain.forwarder,
        donId: chain.donId,
        configVersion: 1,
        fromBlock: 0n,
        operators: () => operators,
      },
      { client, logger },
    );
    await follower.poll();
    expect(follower.current()?.configVersion).toBe(1);
    const set = await setDonConfig(client, chain.admin, {
      forwarder: chain.forwarder,
      donId: chain.donId,
      signers: [...v1(), fifth],
      f: 1,
      clearPrevious: false,
    });
    // Version 2 was set once already (and cleared): the next is 3, never a reused number.
    expect(set.configVersion).toBe(3);
    await follower.poll();
    expect(follower.current()?.configVersion).toBe(1);
    follower.stop();
  });

  it("refuses a reconfiguration from anyone but the forwarder's owner", async () => {
    const { createWalletClient, http } = await import("viem");
    const stranger = createWalletClient({
      chain: chain.admin.chain,
      transport: http(chain.anvil.rpcUrl),
      account: privateKeyToAccount(generatePrivateKey()),
    });
    await expect(
      setDonConfig(chain.publicClient as PublicClient, stranger, {
        forwarder: chain.forwarder,
        donId: chain.donId,
        signers: v1(),
        f: 1,
      }),
    ).rejects.toThrow(/only the forwarder's owner/);
  });
});
