import { createRequire } from "node:module";
import { dirname } from "node:path";
import { decodeResult } from "@chainlink/functions-toolkit/dist/decodeResult.js";
import { simulateScript } from "@chainlink/functions-toolkit/dist/simulateScript/simulateScript.js";
import { ReturnType } from "@chainlink/functions-toolkit/dist/types.js";
import { decodeAbiParameters, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, serveApi } from "../../api";
import { createFeedApp } from "../createFeedApp";
import { createFeedFixture, deviceId, type FeedFixture } from "../fixture";
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
  liar = await serve({
    ...fx.source,
    async getDeviceLine(n, e, d) {
      const p = await fx.source.getDeviceLine(n, e, d);
      return p && { ...p, line: { ...p.line, reward: p.line.reward + 1n } };
    },
  });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const simulate = (args: string[]) =>
  simulateScript({ source: DEVICE_LINE_SOURCE, args, maxExecutionTimeMs: 20_000 });

describe("Chainlink Functions device-line source", () => {
  it("returns the line ABI-encoded when a quorum of nodes agree, decoded with the toolkit", async () => {
    const id = deviceId(3);
    const result = await simulate(["1", "2", id, "2", "true", liar, ...honest]);
    expect(result.errorString, result.capturedTerminalOutput).toBeUndefined();
    const bytes = decodeResult(result.responseBytesHexstring!, ReturnType.bytes) as Hex;
    expect((bytes.length - 2) / 2).toBe(256);
    const [line] = decodeAbiParameters(LINE_ABI, bytes);
    expect(line).toEqual(fx.lines.get(2n)![3]);
  });

  it("fails when fewer nodes than the quorum agree", async () => {
    const result = await simulate(["1", "2", deviceId(3), "2", "false", liar, honest[0]!]);
    expect(result.responseBytesHexstring).toBeUndefined();
    expect(result.errorString).toContain("only 1 of 2 nodes agree");
  });

  it("rejects malformed arguments before any request", async () => {
    const result = await simulate(["1", "2", "0x1234", "1", "false", honest[0]!]);
    expect(result.errorString).toContain("deviceId must be 32 bytes hex");
  });
});
