// Worker side of `VerifyPool`: verifies a batch of signed attestation messages with node:crypto
// and answers with one byte per message (1 = valid for the expected context). Bundled by esbuild
// when the pool starts, so it runs the same under tsx, vitest and a built node.
import { parentPort } from "node:worker_threads";
import { verifyMessageFast } from "../../attestation/index";

export interface VerifyRequest {
  id: number;
  buffer: ArrayBuffer;
  /** Message i is `buffer[offsets[i], offsets[i+1])`. */
  offsets: Uint32Array;
  networkId: bigint;
  epoch: bigint;
}

parentPort?.on("message", (req: VerifyRequest) => {
  const bytes = new Uint8Array(req.buffer);
  const ok = new Uint8Array(req.offsets.length - 1);
  for (let i = 0; i < ok.length; i++) {
    const message = bytes.subarray(req.offsets[i]!, req.offsets[i + 1]!);
    ok[i] = verifyMessageFast(message, { kind: "heartbeat", networkId: req.networkId, epoch: req.epoch }).ok
      ? 1
      : 0;
  }
  parentPort!.postMessage({ id: req.id, ok }, [ok.buffer]);
});
