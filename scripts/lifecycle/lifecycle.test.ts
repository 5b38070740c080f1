// The lifecycle commands (`vigil network|operator|device register|deploy`) driven in-process through
// commander against a real anvil: what they change on chain, what they print, and that bad input or
// a forged device registration fails with one line and spends nothing.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { Command, CommanderError } from "commander";
import {
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  parseEther,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deviceCommand } from "../../attestation/agent/cli";
import { bytesToHex, generateKey, hexToBytes, signMessage } from "../../attestation/index";
import {
  type Deployment,
  keystoneForwarderAbi,
  vigilRegistryAbi,
  vigilTokenAbi,
} from "../../contracts/index";
import { writePeerKey, writeSignerKey } from "../../oracle-node/keys/index";
import { rawReport, signReport } from "../contracts/forwarderReport";
import { deployCommand, deployVigil, workflowNameBytes10 } from "../deploy/deploy";
import { type Anvil, startAnvil } from "../devnet/anvil";
import { deviceLifecycleCommands } from "./deviceLifecycleCommands";
import { deviceRegisterCommand } from "./deviceRegisterCommand";
import { type CliIo, routeOutput } from "./io";
import { networkCommand } from "./networkCommand";
import { readNodeIdentity } from "./nodeIdentity";
import { operatorCommand } from "./operatorCommand";

// anvil's first default account (protocol and operator owner), and a second payer it funds.
const KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const OTHER_KEY: Hex = generatePrivateKey();
const me = privateKeyToAccount(KEY).address;
const other = privateKeyToAccount(OTHER_KEY).address;
const donKeys = Array.from({ length: 4 }, () => generatePrivateKey());
const workflowOwner = privateKeyToAccount(generatePrivateKey()).address;

let anvil: Anvil;
let client: PublicClient;
let deployment: Deployment;
let dir: string;
let common: string[];

interface Run {
  out: string;
  err: string;
  failed: boolean;
}

/** Runs one command in-process as `vigil <area> …` would, capturing what it prints. */
async function run(make: (io: CliIo) => Command, args: string[]): Promise<Run> {
  const r: Run = { out: "", err: "", failed: false };
  const io: CliIo = {
    out: (t) => {
      r.out += `${t}\n`;
    },
    err: (t) => {
      r.err += `${t}\n`;
    },
    fail: () => {
      r.failed = true;
    },
  };
  const command = routeOutput(make(io), io);
  const override = (c: Command) => {
    c.exitOverride();
    for (const sub of c.commands) override(sub);
  };
  override(command);
  try {
    await command.parseAsync(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    r.failed = true;
  }
  return r;
}

const json = (r: Run) => {
  expect(r.err).toBe("");
  expect(r.failed).toBe(false);
  return JSON.parse(r.out) as Record<string, unknown>;
};

const balanceOf = (address: Hex) =>
  client.readContract({
    address: deployment.token,
    abi: vigilTokenAbi,
    functionName: "balanceOf",
    args: [address],
  });

beforeAll(async () => {
  anvil = await startAnvil();
  client = createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
  dir = mkdtempSync(join(tmpdir(), "vigil-lifecycle-"));
  // Unbonding delay 0 so exit and withdraw run back to back here: the contract's constructor takes
  // any delay (only the owner's later setUnbondingDelay enforces a day); real deployments keep 7 days.
  deployment = await deployVigil({
    rpcUrl: anvil.rpcUrl,
    privateKey: KEY,
    signers: donKeys.map((k) => privateKeyToAccount(k).address),
    f: 1,
    workflows: [{ kind: 1, owner: workflowOwner, name: workflowNameBytes10("epoch-settlement") }],
    unbondingDelay: 0n,
    minOperatorStake: parseEther("100"),
    mint: [
      { to: me, amount: parseEther("10000") },
      { to: other, amount: parseEther("1000") },
    ],
    out: join(dir, "deployment.json"),
  });
  const wallet = createWalletClient({
    account: privateKeyToAccount(KEY),
    chain: foundry,
    transport: http(anvil.rpcUrl),
  });
  await client.waitForTransactionReceipt({
    hash: await wallet.sendTransaction({ to: other, value: parseEther("10") }),
  });
  writeFileSync(join(dir, "key"), `${KEY}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "other.key"), `${OTHER_KEY}\n`, { mode: 0o600 });
  common = ["--rpc-url", anvil.rpcUrl, "--deployment", join(dir, "deployment.json")];
});
afterAll(async () => {
  await anvil?.stop();
});

describe("vigil network", () => {
  it("registers a network with a relative genesis, funds it and reports its status", async () => {
    const latest = await client.getBlock();
    const registered = json(
      await run(networkCommand, [
        "register",
        ...common,
        "--private-key-file",
        join(dir, "key"),
        "--reward-budget",
        "100",
        "--stake-per-device",
        "10",
        "--epoch-length",
        "60",
        "--genesis-time",
        "+120",
        "--k",
        "3",
        "--fund-epochs",
        "5",
        "--json",
      ]),
    );
    expect(registered.networkId).toBe("1");
    expect(registered.owner).toBe(me);
    expect(BigInt(registered.genesisTime as string)).toBeGreaterThanOrEqual(latest.timestamp + 120n);
    expect(registered.budgetRemaining).toBe(parseEther("500").toString());

    const funded = json(
      await run(networkCommand, [
        "fund",
        ...common,
        "--private-key-file",
        join(dir, "other.key"),
        "--network",
        "1",
        "--epochs",
        "2",
        "--json",
      ]),
    );
    expect(funded.budgetRemaining).toBe(parseEther("700").toString());

    const status = await run(networkCommand, ["status", ...common, "--network", "1"]);
    expect(status.failed).toBe(false);
    expect(status.out).toContain(`owner             ${me}`);
    expect(status.out).toContain("700 VGL remaining (7 epochs), 700 VGL deposited");
    expect(status.out).toContain("last settled      none yet");
  });

  it("says what was wrong: unknown network, bad amounts, missing key, both or neither of --epochs/--amount", async () => {
    const unknown = await run(networkCommand, ["status", ...common, "--network", "99"]);
    expect(unknown.failed).toBe(true);
    expect(unknown.err).toBe("error: unknown network 99: this registry has networks 1..1\n");

    const zero = await run(networkCommand, ["status", ...common, "--network", "0"]);
    expect(zero.failed).toBe(true);
    expect(zero.err).toContain("network ids start at 1");

    const nonce = await client.getTransactionCount({ address: me });
    const badAmount = await run(networkCommand, ["fund", ...common, "--network", "1", "--amount", "lots"]);
    expect(badAmount.err).toContain('expected a token amount like 1000 or 0.5 (or 123wei), got "lots"');
    const noKey = await run(networkCommand, ["fund", ...common, "--network", "1", "--epochs", "1"]);
    expect(noKey.err).toContain("no signing key: pass --private-key-file <file> or set VIGIL_PRIVATE_KEY");
    const both = await run(networkCommand, [
      "fund",
      ...common,
      "--private-key-file",
      join(dir, "key"),
      "--network",
      "1",
      "--epochs",
      "1",
      "--amount",
      "5",
    ]);
    expect(both.err).toBe("error: pass exactly one of --epochs and --amount\n");
    const badK = await run(networkCommand, [
      "register",
      ...common,
      "--private-key-file",
      join(dir, "key"),
      "--reward-budget",
      "1",
      "--stake-per-device",
      "1",
      "--epoch-length",
      "0",
      "--k",
      "3",
    ]);
    expect(badK.err).toContain("must be at least 1");
    expect(await client.getTransactionCount({ address: me })).toBe(nonce);
  });

  it("warns when the key is given on the command line", async () => {
    const r = await run(networkCommand, [
      "fund",
      ...common,
      "--private-key",
      KEY,
      "--network",
      "1",
      "--amount",
      "1",
    ]);
    expect(r.failed).toBe(false);
    expect(r.err).toContain("warning: --private-key puts the key in shell history");
  });
});

describe("vigil operator", () => {
  it("registers, stakes, exits and withdraws, with status along the way", async () => {
    const peerKey = await generateKeyPair("Ed25519");
    const peerId = peerIdFromPrivateKey(peerKey).toString();
    const signerKey = generatePrivateKey();
    const signer = privateKeyToAccount(signerKey).address;
    const before = await balanceOf(me);

    const registered = json(
      await run(operatorCommand, [
        "register",
        ...common,
        "--private-key-file",
        join(dir, "key"),
        "--signer",
        signer,
        "--peer-id",
        peerId,
        "--json",
      ]),
    );
    expect(registered).toMatchObject({ signer, peerId, owner: me, stake: parseEther("100").toString() });
    expect(await balanceOf(me)).toBe(before - parseEther("100"));

    const again = await run(operatorCommand, [
      "register",
      ...common,
      "--private-key-file",
      join(dir, "key"),
      "--signer",
      signer,
      "--peer-id",
      peerId,
    ]);
    expect(again.err).toBe(`error: signer ${signer} is already registered (owner ${me})\n`);

    const staked = await run(operatorCommand, [
      "stake",
      ...common,
      "--private-key-file",
      join(dir, "other.key"),
      "--signer",
      signer,
      "--amount",
      "50",
    ]);
    expect(staked.out).toBe(`added 50 VGL to ${signer}: stake now 150 VGL\n`);

    // The signer sends a report through the forwarder, as its node does: status counts its gas.
    const wallet = createWalletClient({
      account: privateKeyToAccount(KEY),
      chain: foundry,
      transport: http(anvil.rpcUrl),
    });
    await client.waitForTransactionReceipt({
      hash: await wallet.sendTransaction({ to: signer, value: parseEther("1") }),
    });
    const raw = rawReport(
      {
        executionId: keccak256(toHex("exec-1")),
        timestamp: 1,
        donId: 1,
        configVersion: 1,
        workflowCid: keccak256(toHex("cid")),
        workflowName: workflowNameBytes10("epoch-settlement"),
        workflowOwner,
        reportId: "0x0001",
      },
      "0x1234",
    );
    const context = keccak256(toHex("ctx"));
    const nodeWallet = createWalletClient({
      account: privateKeyToAccount(signerKey),
      chain: foundry,
      transport: http(anvil.rpcUrl),
    });
    const reportReceipt = await client.waitForTransactionReceipt({
      hash: await nodeWallet.writeContract({
        address: deployment.forwarder,
        abi: keystoneForwarderAbi,
        functionName: "report",
        args: [deployment.settlement, raw, context, await signReport(raw, context, donKeys.slice(0, 2))],
        gas: 1_000_000n,
      }),
    });

    const status = json(await run(operatorCommand, ["status", ...common, "--signer", signer, "--json"]));
    expect(status).toMatchObject({
      status: "active",
      owner: me,
      peerId,
      stake: parseEther("150").toString(),
      slashed: "0",
      reportsSent: 1,
      gasSpentWei: (reportReceipt.gasUsed * reportReceipt.effectiveGasPrice).toString(),
      reporterRewards: "0",
      slashes: [],
    });

    // Only the owner may exit.
    const notOwner = await run(operatorCommand, [
      "exit",
      ...common,
      "--private-key-file",
      join(dir, "other.key"),
      "--signer",
      signer,
    ]);
    expect(notOwner.err).toBe(
      `error: the contract refused requestOperatorExit: NotOperatorOwner(signer=${signer}, caller=${other})\n`,
    );

    const exited = await run(operatorCommand, [
      "exit",
      ...common,
      "--private-key-file",
      join(dir, "key"),
      "--signer",
      signer,
    ]);
    expect(exited.out).toMatch(new RegExp(`operator ${signer} is exiting: withdraw after \\d{4}-`));
    const mid = await balanceOf(me);
    const withdrawn = await run(operatorCommand, [
      "withdraw",
      ...common,
      "--private-key-file",
      join(dir, "key"),
      "--signer",
      signer,
    ]);
    expect(withdrawn.out).toBe(`withdrew 150 VGL of ${signer}'s stake to its owner\n`);
    expect(await balanceOf(me)).toBe(mid + parseEther("150"));
    const human = await run(operatorCommand, ["status", ...common, "--signer", signer]);
    expect(human.out).toContain(`operator ${signer}: exited`);
    expect(human.out).toContain("reports sent    1, gas spent");
  });

  it("reads signer and peer id from a node's key files, plain or encrypted, and says so when it cannot", async () => {
    const nodeDir = mkdtempSync(join(tmpdir(), "vigil-node-"));
    const peerKey = await generateKeyPair("Ed25519");
    const ethKey = generatePrivateKey();
    writeFileSync(join(nodeDir, "node.toml"), 'data_dir = "data"\n');
    mkdirSync(join(nodeDir, "data"));
    writeFileSync(join(nodeDir, "data", "eth.key"), `${ethKey}\n`);
    writeFileSync(join(nodeDir, "data", "peer.key"), privateKeyToProtobuf(peerKey));
    const r = json(
      await run(operatorCommand, [
        "register",
        ...common,
        "--private-key-file",
        join(dir, "key"),
        "--node-config",
        join(nodeDir, "node.toml"),
        "--json",
      ]),
    );
    expect(r.signer).toBe(privateKeyToAccount(ethKey).address);
    expect(r.peerId).toBe(peerIdFromPrivateKey(peerKey).toString());

    // An encrypted keystore (what `vigil node init` writes) names both in the clear: no password needed.
    const sealedDir = mkdtempSync(join(tmpdir(), "vigil-node-"));
    writeFileSync(join(sealedDir, "node.toml"), 'data_dir = "data"\n');
    const sealedEth = generatePrivateKey();
    const sealedPeer = await generateKeyPair("Ed25519");
    await writeSignerKey(join(sealedDir, "data", "eth.key"), sealedEth, { password: "pw", scryptN: 2 ** 4 });
    await writePeerKey(join(sealedDir, "data", "peer.key"), sealedPeer, { password: "pw", scryptN: 2 ** 4 });
    expect(readNodeIdentity(join(sealedDir, "node.toml"))).toEqual({
      signer: privateKeyToAccount(sealedEth).address,
      peerId: peerIdFromPrivateKey(sealedPeer).toString(),
    });

    writeFileSync(join(nodeDir, "data", "eth.key"), "not a key\n");
    const broken = await run(operatorCommand, [
      "register",
      ...common,
      "--private-key-file",
      join(dir, "key"),
      "--node-config",
      join(nodeDir, "node.toml"),
    ]);
    expect(broken.err).toContain("cannot read the node's eth.key");
    expect(broken.err).toContain("pass --signer and --peer-id");
  });

  it("refuses a malformed address or peer id before sending anything", async () => {
    const nonce = await client.getTransactionCount({ address: me });
    const badAddress = await run(operatorCommand, ["status", ...common, "--signer", "0x1234"]);
    expect(badAddress.failed).toBe(true);
    expect(badAddress.err).toContain('expected a 0x-prefixed 20-byte address, got "0x1234"');
    const badPeer = await run(operatorCommand, [
      "register",
      ...common,
      "--private-key-file",
      join(dir, "key"),
      "--signer",
      other,
      "--peer-id",
      "12D3KooWnotapeerid",
    ]);
    expect(badPeer.err).toBe(
      'error: --peer-id: expected a libp2p peer id like 12D3KooW…, got "12D3KooWnotapeerid"\n',
    );
    const rsaLike = await run(operatorCommand, [
      "register",
      ...common,
      "--private-key-file",
      join(dir, "key"),
      "--signer",
      other,
      "--peer-id",
      "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N",
    ]);
    expect(rsaLike.err).toContain("expected an Ed25519 peer id");
    expect(await client.getTransactionCount({ address: me })).toBe(nonce);
  });
});

describe("vigil device register", () => {
  const device = generateKey();
  const deviceId = `0x${bytesToHex(device.signer.publicKey)}`;
  const registration = (owner: Hex, networkId = 1n) => ({
    deviceId,
    networkId: networkId.toString(),
    owner,
    registration: `0x${bytesToHex(
      signMessage(
        "registration",
        { networkId, epoch: 0n },
        {
          owner: hexToBytes(owner.slice(2)),
          capabilities: {
            gpuModel: "",
            gpuMemoryMiB: 0,
            storageBytes: 0n,
            bandwidthClass: 0,
            computeClass: 0,
          },
          storageRoot: new Uint8Array(32),
          storageChunks: 0,
          storageChunkBytes: 0,
        },
        device.signer,
      ),
    )}`,
  });
  const register = (input: unknown, keyFile = "key", extra: string[] = []) =>
    run(deviceRegisterCommand, [
      ...common,
      "--private-key-file",
      join(dir, keyFile),
      "--network",
      "1",
      "--registration",
      JSON.stringify(input),
      ...extra,
    ]);

  it("refuses a forged, mismatched or foreign-network registration and spends nothing", async () => {
    const nonce = await client.getTransactionCount({ address: me });
    const balance = await balanceOf(me);
    const valid = registration(me);
    const raw = hexToBytes(valid.registration.slice(2));
    raw[raw.length - 1]! ^= 1;
    const forged = { ...valid, registration: `0x${bytesToHex(raw)}` };
    expect((await register(forged)).err).toBe(
      "error: device registration refused: BAD_SIGNATURE: registration signature\n",
    );

    // The device named `me`; the account paying (`other`) would register it for itself.
    const mismatch = await register(valid, "other.key");
    expect(mismatch.err).toBe(
      `error: device registration names owner ${me}, but this registration would be for ${other}\n`,
    );
    const owner = await register(valid, "key", ["--owner", other]);
    expect(owner.failed).toBe(true);

    const foreign = await register(registration(me, 2n));
    expect(foreign.err).toBe(
      "error: device registration refused: WRONG_NETWORK: expected network 1, got 2\n",
    );

    // Readable fields that disagree with the signed bytes are refused too.
    expect((await register({ ...valid, owner: other })).err).toContain(
      `owner ${other} differs from the signed owner`,
    );

    expect(await client.getTransactionCount({ address: me })).toBe(nonce);
    expect(await balanceOf(me)).toBe(balance);
    const onChain = await client.readContract({
      address: deployment.registry,
      abi: vigilRegistryAbi,
      functionName: "getDevice",
      args: [deviceId as Hex],
    });
    expect(onChain.status).toBe(0);
  });

  it("registers a device from the registration `vigil device registration` prints, paying its stake", async () => {
    const configDir = mkdtempSync(join(tmpdir(), "vigil-device-"));
    writeFileSync(
      join(configDir, "device.toml"),
      `secret_key = "0x${bytesToHex(device.secretKey)}"\nowner = "${other}"\nnodes = ["http://127.0.0.1:1"]\n`,
    );
    const printed: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((line: string) => {
      printed.push(line);
    });
    try {
      await deviceCommand().parseAsync(
        ["registration", "--config", join(configDir, "device.toml"), "--network", "1"],
        {
          from: "user",
        },
      );
    } finally {
      log.mockRestore();
    }
    const file = join(configDir, "registration.json");
    writeFileSync(file, printed[0]!);
    expect(JSON.parse(printed[0]!)).toMatchObject({ deviceId, networkId: "1", owner: other.toLowerCase() });

    const before = await balanceOf(other);
    const r = await run(deviceRegisterCommand, [
      ...common,
      "--private-key-file",
      join(dir, "other.key"),
      "--network",
      "1",
      "--registration",
      file,
    ]);
    expect(r.err).toBe("");
    expect(r.out).toBe(`registered device ${deviceId} in network 1 for ${other}, stake 10 VGL\n`);
    expect(await balanceOf(other)).toBe(before - parseEther("10"));
    const again = await run(deviceRegisterCommand, [
      ...common,
      "--private-key-file",
      join(dir, "other.key"),
      "--network",
      "1",
      "--registration",
      file,
    ]);
    expect(again.err).toContain("is already registered (network 1");
    const status = json(await run(networkCommand, ["status", ...common, "--network", "1", "--json"]));
    expect(status.deviceCount).toBe(1);
  });

  it("shows, exits and withdraws a device's stake, only for its owner", async () => {
    const deviceArea = (io: CliIo) => {
      const c = new Command("device");
      for (const sub of deviceLifecycleCommands(io)) c.addCommand(sub);
      return c;
    };
    const as = (keyFile: string) => ["--private-key-file", join(dir, keyFile)];
    const active = json(await run(deviceArea, ["status", ...common, "--device", deviceId, "--json"]));
    expect(active).toMatchObject({ status: "active", owner: other, stake: parseEther("10").toString() });

    const stranger = await run(deviceArea, ["exit", ...common, ...as("key"), "--device", deviceId]);
    expect(stranger.err).toContain(`NotDeviceOwner(deviceId=${deviceId}, caller=${me})`);
    const early = await run(deviceArea, ["withdraw", ...common, ...as("other.key"), "--device", deviceId]);
    expect(early.err).toContain("DeviceNotExiting");

    const exited = await run(deviceArea, ["exit", ...common, ...as("other.key"), "--device", deviceId]);
    expect(exited.out).toMatch(new RegExp(`device ${deviceId} is exiting: withdraw after \\d{4}-`));
    const before = await balanceOf(other);
    const withdrawn = await run(deviceArea, [
      "withdraw",
      ...common,
      ...as("other.key"),
      "--device",
      deviceId,
    ]);
    expect(withdrawn.out).toBe(`withdrew 10 VGL of device ${deviceId}'s stake to ${other}\n`);
    expect(await balanceOf(other)).toBe(before + parseEther("10"));
    expect((await run(deviceArea, ["status", ...common, "--device", deviceId])).out).toContain(
      `device ${deviceId}: exited`,
    );

    const malformed = await run(deviceArea, ["status", ...common, "--device", "0x1234"]);
    expect(malformed.failed).toBe(true);
    expect(malformed.err).toContain('expected a 0x-prefixed 32-byte device id, got "0x1234"');
    const unknown = await run(deviceArea, ["status", ...common, "--device", `0x${"ab".repeat(32)}`]);
    expect(unknown.err).toBe(`error: device 0x${"ab".repeat(32)} is not registered\n`);
  });
});

describe("vigil deploy", () => {
  it("deploys, mints and registers a first network from flags", async () => {
    const out = join(dir, "second.json");
    const r = await run(deployCommand, [
      "--rpc-url",
      anvil.rpcUrl,
      "--private-key-file",
      join(dir, "key"),
      "--signers",
      donKeys.map((k) => privateKeyToAccount(k).address).join(","),
      "--f",
      "1",
      "--mint",
      `${other}:250`,
      "--network-reward-budget",
      "100",
      "--network-stake-per-device",
      "1",
      "--network-epoch-length",
      "30",
      "--network-k",
      "3",
      "--network-genesis-time",
      "+60",
      "--out",
      out,
    ]);
    expect(r.err).toBe("");
    const d = JSON.parse(r.out) as Deployment;
    expect(d.networkId).toBe(1);
    const status = json(
      await run(networkCommand, [
        "status",
        "--rpc-url",
        anvil.rpcUrl,
        "--deployment",
        out,
        "--network",
        "1",
        "--json",
      ]),
    );
    expect(status).toMatchObject({
      epochLength: 30,
      k: 3,
      rewardBudgetPerEpoch: parseEther("100").toString(),
    });
    expect(
      await client.readContract({
        address: d.token,
        abi: vigilTokenAbi,
        functionName: "balanceOf",
        args: [other],
      }),
    ).toBe(parseEther("250"));

    const partial = await run(deployCommand, [
      "--rpc-url",
      anvil.rpcUrl,
      "--private-key-file",
      join(dir, "key"),
      "--signers",
      donKeys.map((k) => privateKeyToAccount(k).address).join(","),
      "--f",
      "1",
      "--network-k",
      "3",
    ]);
    expect(partial.err).toContain("a first network needs all of --network-reward-budget");
    const badMint = await run(deployCommand, ["--signers", "x", "--f", "1", "--mint", "nobody:5"]);
    expect(badMint.err).toContain('expected a 0x-prefixed 20-byte address, got "nobody"');
  });
});
