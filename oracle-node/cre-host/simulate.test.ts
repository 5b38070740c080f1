import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";
import { EVM_PB } from "@chainlink/cre-sdk/pb";
import type { Abi, Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWorkflowCli } from "./cli";
import { readWorkflowYaml, simulateWorkflow } from "./simulate";
import { type CreTestChain, startCreTestChain } from "./testChain";
import { parseDotEnv, readSecretsYaml } from "./workflowProject";

const examples = new URL("../../workflows/examples/", import.meta.url).pathname;
const exampleDir = join(examples, "price-feed");
const OWNER: Hex = "0x5555555555555555555555555555555555555555";
// keccak256("ConfigSet(uint32,uint32,uint8,address[])"), emitted by KeystoneForwarder.setConfig.
const CONFIG_SET = "0x4120bd3b23957dd423555817d55654d4481b438aa15485c21b4180c784f1a455";

describe("vigil workflow simulate", () => {
  let chain: CreTestChain;
  let recorder: { address: Address; abi: Abi };
  let server: Server;
  let configPath: string;
  let tmp: string;
  /** The forwarder's second config, (DON 2, version 1): its transaction also carries a ConfigSet log. */
  let don2Tx: Hex;
  let hostChecksConfig: string;

  beforeAll(async () => {
    chain = await startCreTestChain();
    recorder = await chain.deploy("ReportRecorder.sol", "ReportRecorder", [chain.forwarder]);
    server = createServer((_req, res) => res.end(JSON.stringify({ price: "4200" })));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    tmp = await mkdtemp("/tmp/cre-sim-");
    configPath = `${tmp}/config.json`;
    await writeFile(
      configPath,
      JSON.stringify({
        schedule: "*/30 * * * * *",
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/price`,
        chainSelectorName: "anvil-devnet",
        receiver: recorder.address,
        gasLimit: "500000",
      }),
    );
    hostChecksConfig = `${tmp}/host-checks.json`;
    await writeFile(hostChecksConfig, JSON.stringify({ label: "node-0" }));
    don2Tx = await chain.admin.writeContract({
      address: chain.forwarder,
      abi: chain.forwarderAbi,
      functionName: "setConfig",
      args: [2, 1, 1, chain.signerKeys.map((k) => privateKeyToAccount(k).address)],
      account: chain.admin.account!,
      chain: chain.admin.chain,
    });
    await chain.publicClient.waitForTransactionReceipt({ hash: don2Tx });
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await chain?.stop();
  });

  const broadcastOptions = () => ({
    workflowDir: exampleDir,
    configPath,
    broadcast: true,
    rpcUrl: chain.anvil.rpcUrl,
    forwarder: chain.forwarder,
    owner: OWNER,
    signerKeys: chain.signerKeys,
    transmitterKey: chain.transmitterKeys[0]!,
    env: {},
    // anvil mines each transaction as it arrives: a later node finds the leader's at once.
    transmitDelayMs: 200,
  });
  const run = (broadcast: boolean) => simulateWorkflow({ ...broadcastOptions(), broadcast });

  /** `vigil workflow simulate <args>` in-process, with an empty environment. */
  const cli = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runWorkflowCli(["simulate", ...args, "--rpc-url", chain.anvil.rpcUrl], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  const priceFeed = () => [exampleDir, "--config", configPath, "--owner", OWNER];

  it("simulates the write with eth_call and sends nothing", async () => {
    const result = await run(false);
    expect(result.outcome, result.outcome.error).toMatchObject({ ok: true, value: "price 4200 written" });
    expect(result.writes).toHaveLength(1);
    expect(result.writes[0]).toMatchObject({
      simulated: true,
      txStatus: EVM_PB.TxStatus.SUCCESS,
      receiverStatus: EVM_PB.ReceiverContractExecutionStatus.SUCCESS,
    });
    expect(result.writes[0]!.fee).toBeGreaterThan(0n);
    expect(await chain.publicClient.readContract({ ...recorder, functionName: "count" })).toBe(0n);
  });

  it("sends the write with --broadcast and reports it once, whichever node sent it", async () => {
    const result = await run(true);
    expect(result.outcome, result.outcome.error).toMatchObject({ ok: true });
    expect(result.writes).toHaveLength(1);
    expect(result.writes[0]!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(result.writes[0]!.sentByThisNode || result.writes[0]!.sentBy !== undefined).toBe(true);
    expect(await chain.publicClient.readContract({ ...recorder, functionName: "count" })).toBe(1n);
  });

  it("reports a forwarder rejection when the DON's signers are not the forwarder's, and exits 1", async () => {
    const { code, out, err } = await cli(priceFeed().concat(["--forwarder", chain.forwarder]));
    expect(code).toBe(1);
    expect(out).toMatch(/write to 0x[0-9a-fA-F]{40}: simulated, tx REVERTED, error: InvalidSigner\(0x/);
    expect(err).toMatch(/1 of 1 writes failed/);
  });

  it("broadcasts through the forwarder's config for --don-id 2", async () => {
    const before = (await chain.publicClient.readContract({ ...recorder, functionName: "count" })) as bigint;
    const result = await simulateWorkflow({
      ...broadcastOptions(),
      donId: 2,
      configVersion: 1,
      transmitterKey: chain.transmitterKeys[1]!,
    });
    expect(result.outcome, result.outcome.error).toMatchObject({ ok: true });
    expect(result.writes).toHaveLength(1);
    expect(result.writes[0]).toMatchObject({
      txStatus: EVM_PB.TxStatus.SUCCESS,
      receiverStatus: EVM_PB.ReceiverContractExecutionStatus.SUCCESS,
    });
    expect(await chain.publicClient.readContract({ ...recorder, functionName: "count" })).toBe(before + 1n);
  });

  describe("refuses --broadcast that cannot land, sending nothing", () => {
    const refused = async (args: string[], message: RegExp) => {
      const block = await chain.publicClient.getBlockNumber();
      const { code, err, out } = await cli(priceFeed().concat(["--broadcast", ...args]));
      expect(err).toMatch(message);
      expect(code).toBe(1);
      expect(out).not.toMatch(/write to/);
      expect(await chain.publicClient.getBlockNumber()).toBe(block);
    };
    const keys = () => ["--signer-keys", chain.signerKeys.join(",")];

    it("without a forwarder", () =>
      refused(
        [...keys(), "--transmitter-key", chain.transmitterKeys[0]!],
        /--broadcast refused: no forwarder: pass --forwarder/,
      ));

    it("without a transmitter key", () =>
      refused(["--forwarder", chain.forwarder, ...keys()], /--broadcast refused: no transmitter key/));

    it("with a forwarder that has no config for the DON id and config version", () =>
      refused(
        [
          "--forwarder",
          chain.forwarder,
          ...keys(),
          "--transmitter-key",
          chain.transmitterKeys[0]!,
          "--don-id",
          "7",
        ],
        // configId = donId << 32 | configVersion
        /holds no config for DON id 7, config version 1 \(InvalidConfig\(30064771073\)\): pass the --don-id and --config-version/,
      ));

    it("with an address that is no forwarder", () =>
      refused(
        ["--forwarder", OWNER, ...keys(), "--transmitter-key", chain.transmitterKeys[0]!],
        /no contract at forwarder 0x5555555555555555555555555555555555555555 on chain 31337/,
      ));

    it("with signer keys the forwarder does not know", () =>
      refused(
        ["--forwarder", chain.forwarder, "--transmitter-key", chain.transmitterKeys[0]!],
        /signer keys are fresh keys the forwarder does not know: pass its signers' keys with --signer-keys/,
      ));

    it("with an unfunded transmitter, naming its address", () => {
      const key = generatePrivateKey();
      const address = privateKeyToAccount(key).address;
      return refused(
        ["--forwarder", chain.forwarder, ...keys(), "--transmitter-key", key],
        new RegExp(`the transmitter ${address} \\(from --transmitter-key\\) is unfunded`),
      );
    });
  });

  it("refuses --non-interactive without --trigger-index", async () => {
    const { code, err } = await cli(priceFeed().concat(["--non-interactive"]));
    expect(err).toMatch(/--non-interactive needs --trigger-index/);
    expect(code).toBe(1);
  });

  it("runs a workflow through a CRE CLI project: workflow.yaml target, secrets.yaml, .env, @payload", async () => {
    const project = join(tmp, "project");
    const dir = join(project, "host-checks");
    await mkdir(dir, { recursive: true });
    await writeFile(join(project, "project.yaml"), "# CRE project settings (RPCs per target)\n");
    await writeFile(join(project, "secrets.yaml"), "secretsNames:\n  API_KEY:\n    - HOST_CHECKS_API_KEY\n");
    await writeFile(join(project, ".env"), '# read by the simulator\nHOST_CHECKS_API_KEY="s3cret"\n');
    await writeFile(
      join(dir, "workflow.yaml"),
      [
        "staging-settings:",
        "  user-workflow:",
        '    workflow-name: "host-checks"',
        "  workflow-artifacts:",
        `    workflow-path: "${relative(dir, join(examples, "host-checks", "main.ts"))}"`,
        '    config-path: "./config.staging.json"',
        '    secrets-path: "../secrets.yaml"',
        "",
      ].join("\n"),
    );
    await writeFile(join(dir, "config.staging.json"), JSON.stringify({ label: "node-0" }));
    await writeFile(join(dir, "payload.json"), JSON.stringify({ case: "secret" }));
    const { code, out, err } = await cli([
      dir,
      "--target",
      "staging-settings",
      "--non-interactive",
      "--trigger-index",
      "0",
      "--http-payload",
      `@${join(dir, "payload.json")}`,
    ]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toMatch(/^workflow host-checks \(id 0x00/m);
    expect(out).toMatch(/^trigger 0: http-trigger@1\.0\.0-alpha Trigger$/m);
    expect(out).toMatch(/^result: "s3cret"$/m);

    // --project-root (-R): a relative workflow folder is resolved against it; .env is found up to it.
    const rooted = await cli([
      "host-checks",
      "-R",
      project,
      "-T",
      "staging-settings",
      "--http-payload",
      '{"case":"secret"}',
    ]);
    expect({ code: rooted.code, err: rooted.err }).toEqual({ code: 0, err: "" });
    expect(rooted.out).toMatch(/^result: "s3cret"$/m);
    const nowhere = await cli(["host-checks", "--project-root", join(tmp, "nope")]);
    expect(nowhere.err).toMatch(/--project-root \S+\/nope is not a folder/);
    expect(nowhere.code).toBe(1);
    const noWorkflow = await cli(["other", "-R", project]);
    expect(noWorkflow.err).toMatch(
      /workflow folder \S+\/project\/other does not exist \(resolved against --project-root/,
    );
    expect(noWorkflow.code).toBe(1);

    const missing = await cli([dir, "--target", "production", "--http-payload", "{}"]);
    expect(missing.err).toMatch(/workflow\.yaml has no target production \(targets: staging-settings\)/);
    expect(missing.code).toBe(1);
  });

  it("fires an EVM log trigger only with a log that matches its filter", async () => {
    const logEcho = join(examples, "log-echo");
    const config = async (topic0: string) => {
      const file = join(tmp, `log-echo-${topic0.slice(2, 8)}.json`);
      await writeFile(
        file,
        JSON.stringify({ chainSelectorName: "anvil-devnet", address: chain.forwarder, topic0 }),
      );
      return file;
    };
    const other = `0x${"ab".repeat(32)}`;
    const refused = await cli([logEcho, "--config", await config(other), "--evm-tx-hash", don2Tx]);
    expect(refused.err).toMatch(
      new RegExp(
        `log 0 of ${don2Tx} does not match trigger 0's filter: topic 0 ${CONFIG_SET} is not one of the trigger's \\(${other}\\)`,
      ),
    );
    expect(refused.code).toBe(1);
    const fired = await cli([logEcho, "--config", await config(CONFIG_SET), "--evm-tx-hash", don2Tx]);
    expect({ code: fired.code, err: fired.err }).toEqual({ code: 0, err: "" });
    expect(fired.out).toContain(`result: "${don2Tx}:0"`);
  });

  it("enforces the CRE CLI's gas limit per write by default, and lifts limits with --limits none", async () => {
    const heavy = join(tmp, "heavy.json");
    const base = JSON.parse(await readFile(configPath, "utf8")) as Record<string, string>;
    await writeFile(heavy, JSON.stringify({ ...base, gasLimit: "20000000" }));
    const limited = await cli([
      exampleDir,
      "--config",
      heavy,
      "--owner",
      OWNER,
      "--forwarder",
      chain.forwarder,
    ]);
    expect(limited.err).toMatch(
      /limit: a write may ask for at most 10000000 gas, this one asks for 20000000/,
    );
    expect(limited.code).toBe(1);
    const big = await cli([
      join(examples, "host-checks"),
      "--config",
      hostChecksConfig,
      "--http-payload",
      '{"case":"big-report"}',
      "--limits",
      "none",
    ]);
    expect({ code: big.code, err: big.err }).toEqual({ code: 0, err: "" });
    expect(big.out).toMatch(/^result: "unreachable"$/m);
  });

  it("reads --limits FILE in the CRE CLI's format, and names the key of a malformed one", async () => {
    const small = join(tmp, "small-limits.json");
    await writeFile(
      small,
      JSON.stringify({ ChainWrite: { EVM: { ReportSizeLimit: "100b" } }, CapabilityCallTimeout: "1m0s" }),
    );
    const limited = await cli([...priceFeed(), "--forwarder", chain.forwarder, "--limits", small]);
    expect(limited.out).toMatch(
      /limits: \S+small-limits\.json sets limits vigil does not enforce: CapabilityCallTimeout$/m,
    );
    expect(limited.err).toMatch(
      /limit: a written report of \d+ bytes \(metadata and body\) exceeds the 100-byte limit/,
    );
    expect(limited.code).toBe(1);
    const bad = join(tmp, "bad-limits.json");
    await writeFile(bad, JSON.stringify({ HTTPAction: { CallLimit: "fifteen" } }));
    const refused = await cli([...priceFeed(), "--limits", bad]);
    expect(refused.err).toBe(
      `error: limits file ${bad}: HTTPAction.CallLimit: "fifteen" is not a non-negative integer such as "15"`,
    );
    expect(refused.code).toBe(1);
    const absent = await cli([...priceFeed(), "--limits", join(tmp, "absent.json")]);
    expect(absent.err).toMatch(/cannot read limits file \S+absent\.json/);
    expect(absent.code).toBe(1);
  });

  it("prints every simulated node's outcome and writes with --engine-logs (-g), and only then", async () => {
    const args = [
      ...priceFeed(),
      "--forwarder",
      chain.forwarder,
      "--signer-keys",
      chain.signerKeys.join(","),
    ];
    const quiet = await cli(args);
    expect({ code: quiet.code, err: quiet.err }).toEqual({ code: 0, err: "" });
    expect(quiet.out).not.toMatch(/\[engine\]/);
    const loud = await cli([...args, "-g"]);
    expect({ code: loud.code, err: loud.err }).toEqual({ code: 0, err: "" });
    for (const node of [0, 1, 2, 3]) {
      expect(loud.out).toMatch(
        new RegExp(`^\\[engine\\] node ${node}: execution 0x[0-9a-f]{64} ok in \\d+ ms$`, "m"),
      );
      expect(loud.out).toMatch(
        new RegExp(`^\\[engine\\] node ${node}: write to 0x[0-9a-fA-F]{40}: tx SUCCESS`, "m"),
      );
    }
  });

  it("runs without a config file with --no-config; --default-config excludes --config", async () => {
    const hostChecks = join(examples, "host-checks");
    const payload = ["--http-payload", '{"case":"echo"}'];
    const withoutFlag = await cli([hostChecks, ...payload]);
    expect(withoutFlag.err).toMatch(/cannot read workflow config \S+host-checks\/config\.json/);
    // The workflow gets an empty config, which its own schema then refuses.
    const noConfig = await cli([hostChecks, "--no-config", ...payload]);
    expect(noConfig.err).not.toMatch(/cannot read workflow config/);
    expect(noConfig.err).toMatch(/Failed to parse configuration/);
    expect(noConfig.code).toBe(1);
    const both = await cli([hostChecks, "--default-config", "--config", hostChecksConfig, ...payload]);
    expect(both.err).toMatch(/option '--default-config' cannot be used with option '--config <file>'/);
    expect(both.code).toBe(1);
  });

  it("reads a target's workflow name and paths from workflow.yaml", () => {
    const yaml =
      '# targets\nlocal-simulation:\n  user-workflow:\n    workflow-name: "vigil-x" # the name\n  workflow-artifacts:\n    workflow-path: "./main.ts"\n    config-path: "./config.local.json"\n    secrets-path: ""\nstaging:\n  user-workflow:\n    workflow-name: "other"\n';
    expect(readWorkflowYaml(yaml, "local-simulation")).toEqual({
      name: "vigil-x",
      workflowPath: "./main.ts",
      configPath: "./config.local.json",
    });
    expect(readWorkflowYaml(yaml, "missing")).toEqual({});
    // Malformed YAML is refused with the file and line.
    expect(() => readWorkflowYaml("a:\n  b: [1, 2\n", "a")).toThrow(/^workflow\.yaml:\d+: /);
  });

  it("reads secrets.yaml and .env, naming a malformed line", () => {
    expect(readSecretsYaml("secretsNames:\n  A:\n    - A_ENV\n    - A_FALLBACK\n")).toEqual(
      new Map([["A", ["A_ENV", "A_FALLBACK"]]]),
    );
    expect(readSecretsYaml("secretsNames:\n  A:\n  - A_ENV\n  B:\n  - B_ENV\n")).toEqual(
      new Map([
        ["A", ["A_ENV"]],
        ["B", ["B_ENV"]],
      ]),
    );
    expect(parseDotEnv("# c\nexport A=1\nB='two words'\nC=3 # note\n\n")).toEqual({
      A: "1",
      B: "two words",
      C: "3",
    });
    expect(() => parseDotEnv("A=1\nnot a pair\n", "/p/.env")).toThrow("/p/.env:2: expected KEY=VALUE");
  });
});
