// A workflow that exercises the host's edges (limits, secrets, missing capabilities), one case per
// HTTP request: `{"case": "..."}`. Only the CRE host's tests run it.
import {
  consensusIdenticalAggregation,
  cre,
  getNetwork,
  type HTTPPayload,
  hexToBase64,
  Runner,
  type Runtime,
} from "@chainlink/cre-sdk";
import { z } from "zod";

const configSchema = z.object({ label: z.string() });
type Config = z.infer<typeof configSchema>;

const onRequest = (runtime: Runtime<Config>, payload: HTTPPayload): string => {
  const { case: which } = JSON.parse(new TextDecoder().decode(payload.input)) as { case: string };
  runtime.log(`case ${which} for ${runtime.config.label}`);
  switch (which) {
    case "echo":
      return `hello from ${runtime.config.label}`;
    case "secret":
      return runtime.getSecret({ id: "API_KEY" }).result().value;
    case "missing-secret":
      return runtime.getSecret({ id: "NOPE" }).result().value;
    case "unknown-capability": {
      // A chain this node serves no EVM capability for.
      const mainnet = getNetwork({ chainFamily: "evm", chainSelectorName: "ethereum-mainnet" });
      const evm = new cre.capabilities.EVMClient(mainnet!.chainSelector.selector);
      return String(evm.headerByNumber(runtime, {}).result().header?.timestamp);
    }
    case "busy-loop":
      for (;;) {
        // never yields: only the execution timeout ends it
      }
    case "http": {
      // Each node fetches in node mode; the DON keeps the identical status code.
      const { url } = JSON.parse(new TextDecoder().decode(payload.input)) as { url: string };
      const http = new cre.capabilities.HTTPClient();
      return http
        .sendRequest(
          runtime,
          (requester, u: string) => `${requester.sendRequest({ url: u, method: "GET" }).result().statusCode}`,
          consensusIdenticalAggregation<string>(),
        )(url)
        .result();
    }
    case "big-response":
      return "x".repeat(200_000);
    case "big-report":
      runtime
        .report({
          encodedPayload: hexToBase64(`0x${"ab".repeat(6000)}`),
          encoderName: "evm",
          signingAlgo: "ecdsa",
          hashingAlgo: "keccak256",
        })
        .result();
      return "unreachable";
    default:
      throw new Error(`unknown case ${which}`);
  }
};

/** The second trigger runs under a pre-hook's restrictions: one Simple consensus call, one secret. */
const onRestricted = (runtime: Runtime<Config>, payload: HTTPPayload): string => {
  const { case: which } = JSON.parse(new TextDecoder().decode(payload.input)) as { case: string };
  const observe = runtime.runInNodeMode(() => 1, consensusIdenticalAggregation<number>());
  if (which === "consensus-twice") return `${observe().result() + observe().result()}`;
  if (which === "other-secret") return runtime.getSecret({ id: "OTHER" }).result().value;
  return runtime.getSecret({ id: "API_KEY" }).result().value;
};

const initWorkflow = () => {
  const http = new cre.capabilities.HTTPCapability();
  return [
    cre.handler(http.trigger({}), onRequest),
    cre.handler(http.trigger({}), onRestricted, {
      preHook: () => ({
        capabilities: {
          restrictions: [{ method: { id: "consensus@1.0.0-alpha", method: "Simple", maxCalls: 1 } }],
          maxTotalCalls: 10,
        },
        secrets: { restrictions: [{ exactSecret: { id: "API_KEY", namespace: "main" } }], maxSecrets: 1 },
      }),
    }),
  ];
};

export async function main() {
  const runner = await Runner.newRunner<Config>({ configSchema });
  await runner.run(initWorkflow);
}
