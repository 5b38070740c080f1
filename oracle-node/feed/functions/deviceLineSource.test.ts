import { createRequire } from "node:module";
import { dirname } from "node:path";
import { decodeResult } from "@chainlink/functions-toolkit/dist/decodeResult.js";
import { simulateScript } from "@chainlink/functions-toolkit/dist/simulateScript/simulateScript.js";
import { ReturnType } from "@chainlink/functions-toolkit/dist/types.js";
import { decodeAbiParameters, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, serveApi } from "../../api";
import { createFeedApp } from "../createFeedApp";
import {
  createFeedFixture,
  deviceId,
  type FeedFixture,
  lyingSource,
  oracleAccounts,
  signResultVote,
} from "../fixture";
import { createMemoryFeedSource } from "../memorySource";
import type { FeedSource } from "../source";
import { DEVICE_LINE_SOURCE } from "./deviceLineSource";

// The toolkit spawns `deno` from the PATH; the npm `deno` package ships the binary in its folder.
const denoDir = dirname(createRequire(import.meta.url).resolve("deno/package.json"));
process.env.PATH = `${denoDir}:${process.env.PATH}`;

const LINE_ABI = [
  {
    type: "tuple",
    components: [
      { name: "networkId", type: "uint64" },
      { name: "epoch", type: "uint64" },
      { name: "deviceId", type: "bytes32" },
      { name: "owner", type: "address" },
      { name: "uptimeBps", type: "uint32" },
      { name: "work", type: "uint64" },
      { name: "reward", type: "uint256" },
      { name: "slash", type: "uint256" },
    ],
  },
] as const;

let fx: FeedFixture;
const servers: ApiServer[] = [];
let honest: string[];
let liar: string;
let forger: string;

beforeAll(async () => {
  fx = await createFeedFixture({ devices: 8, epochs: [1n, 2n] });
  const serve = async (source: FeedSource) => {
    const server = await serveApi(createFeedApp(source, { rateLimit: false }), {
      host: "127.0.0.1",
      port: 0,
    });
    servers.push(server);
    return server.url;
  };
  honest = [await serve(fx.source), await serve(fx.source)];
  liar = await serve(
    lyingSource(fx.source, { line: (p) => ({ ...p, line: { ...p.line, reward: p.line.reward + 1n } }) }),
  );
  // A node with its own result: inflated rewards under a root that one registered oracle (its own
  // operator's) and two outsiders signed.
  const forged = createMemoryFeedSource();
  const result = forged.publishEpoch({
    networkId: 1n,
    epoch: 2n,
    observationsCommitment: fx.results.get(2n)!.observationsCommitment,
    lines: fx.lines.get(2n)!.map((l) => ({ ...l, reward: l.reward * 10n })),
  });
  forged.addVotes(
    1n,
    2n,
    await Promise.all(
      [fx.oracles[0]!, ...oracleAccounts(2, "not.registered")].map((o) => signResultVote(o, fx.ctx, result)),
    ),
  );
  forger = await serve(forged);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const simulate = (args: string[]) =>
  simulateScript({ source: DEVICE_LINE_SOURCE, args, maxExecutionTimeMs: 20_000 });
/** Arguments up to the node URLs: registered signers from the fixture, no chain. */
const head = (epoch: string, id: string) => [
  "1",
  epoch,
  id,
  "0",
  "false",
  String(fx.ctx.chainId),
  fx.ctx.settlement,
  fx.signers.join(","),
  "",
];

describe("Chainlink Functions device-line source", () => {
  it("returns the line ABI-encoded once a node's answer verifies, skipping a tampered one", async () => {
    const id = deviceId(3);
    const result = await simulate([...head("2", id), liar, honest[0]!]);
    expect(result.errorString, result.capturedTerminalOutput).toBeUndefined();
    const bytes = decodeResult(result.responseBytesHexstring!, ReturnType.bytes) as Hex;
    expect((bytes.length - 2) / 2).toBe(256);
    const [line] = decodeAbiParameters(LINE_ABI, bytes);
    expect(line).toEqual(fx.lines.get(2n)![3]);
  });

  it("counts signers, not URLs: one forging node listed twice does not make a quorum", async () => {
    const port = new URL(forger).port;
    const result = await simulate([
      ...head("2", deviceId(3)),
      forger,
      `${forger}/`,
      `http://localhost:${port}`,
    ]);
    expect(result.responseBytesHexstring).toBeUndefined();
    expect(result.errorString).toContain("no verified line");
    expect(result.errorString).toContain("root signed by 1 of 2 required registered signers");
  });

  it("rejects a line that does not hash to its proven leaf", async () => {
    const result = await simulate([...head("2", deviceId(3)), liar]);
    expect(result.errorString).toContain("line does not hash to its leaf");
  });

  it("rejects malformed arguments before any request", async () => {
    const bad = head("2", "0x1234");
    expect((await simulate([...bad, honest[0]!])).errorString).toContain("deviceId must be 32 bytes hex");
    const noSigners = head("2", deviceId(3));
    noSigners[7] = "";
    expect((await simulate([...noSigners, honest[0]!])).errorString).toContain("signers must be");
  });
});
