import type { Hex } from "viem";
import { NodeResponseError, NodeUnreachableError } from "./errors";

/** A verdict or settlement event from a node's stream, as sent (unverified: provisional by nature). */
export type StreamedVerdict =
  | {
      type: "verdict";
      networkId: bigint;
      epoch: bigint;
      deviceId: Hex;
      uptimeBps: number;
      work: bigint;
      slash: bigint;
      provisional: boolean;
    }
  | { type: "settled"; networkId: bigint; epoch: bigint; resultRoot: Hex }
  | { type: "overflow" };

/**
 * Reads `GET /v1/networks/{networkId}/verdicts/stream` from one node until `signal` aborts or the node
 * closes it. Verdicts are one node's view during the epoch: act on them provisionally, and use the
 * verified line (client `getDeviceLine`) once a `settled` event arrives.
 */
export async function* streamVerdicts(
  node: string,
  networkId: bigint,
  options: { deviceId?: Hex; signal?: AbortSignal; fetch?: typeof fetch } = {},
): AsyncGenerator<StreamedVerdict> {
  const url = new URL(`v1/networks/${networkId}/verdicts/stream`, node.endsWith("/") ? node : `${node}/`);
  if (options.deviceId) url.searchParams.set("deviceId", options.deviceId);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { accept: "text/event-stream" },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (cause) {
    throw new NodeUnreachableError(node, cause);
  }
  if (!response.ok || !response.body)
    throw new NodeResponseError(node, response.status, undefined, await response.text().catch(() => ""));
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1];
        const data = block
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart())
          .join("\n");
        if (!event || !data) continue;
        const raw = JSON.parse(data) as Record<string, string | number | boolean>;
        if (event === "overflow") yield { type: "overflow" };
        else if (event === "settled")
          yield {
            type: "settled",
            networkId: BigInt(raw.networkId as string),
            epoch: BigInt(raw.epoch as string),
            resultRoot: raw.resultRoot as Hex,
          };
        else if (event === "verdict")
          yield {
            type: "verdict",
            networkId: BigInt(raw.networkId as string),
            epoch: BigInt(raw.epoch as string),
            deviceId: raw.deviceId as Hex,
            uptimeBps: Number(raw.uptimeBps),
            work: BigInt(raw.work as string),
            slash: BigInt(raw.slash as string),
            provisional: raw.provisional === true,
          };
      }
    }
  } catch (cause) {
    if (options.signal?.aborted) return;
    throw new NodeUnreachableError(node, cause);
  }
}
