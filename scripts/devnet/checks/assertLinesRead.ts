import type { Hex } from "viem";
import type { VerifiedDeviceLine } from "../../../oracle-node/feed/client/index";
import { DevnetError } from "../errors";

/** One registered device's line as the feed served it, or why it could not be read or verified. */
export interface LineRead {
  deviceId: Hex;
  read: PromiseSettledResult<VerifiedDeviceLine>;
}

/**
 * Every device registered for the epoch has a line in the agreed result (devices nobody reported on
 * get uptime 0), so each must be readable from the nodes' feed and prove against the certified (and,
 * once settled, the on-chain) root. Returns the lines; throws naming the first failures otherwise.
 */
export function assertLinesRead(epoch: bigint, reads: readonly LineRead[]): VerifiedDeviceLine[] {
  const lines: VerifiedDeviceLine[] = [];
  const failed: { deviceId: Hex; reason: unknown }[] = [];
  for (const { deviceId, read } of reads) {
    if (read.status === "fulfilled") lines.push(read.value);
    else failed.push({ deviceId, reason: read.reason });
  }
  if (failed.length === 0) return lines;
  const first = failed
    .slice(0, 3)
    .map((f) => `${f.deviceId}: ${f.reason instanceof Error ? f.reason.message : String(f.reason)}`);
  throw new DevnetError(
    "CHECK_FAILED",
    `epoch ${epoch}: ${failed.length} of ${reads.length} registered devices' lines could not be read or verified (${first.join("; ")})`,
    { check: "device-lines", epoch: String(epoch), failed: failed.map((f) => f.deviceId) },
    { cause: failed[0]!.reason },
  );
}
