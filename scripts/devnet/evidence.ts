import { bytesToHex, hexToBytes, keccak256 } from "viem";
import { verifyEvidenceFast } from "../../attestation/index";
import type { EvidenceLookup } from "./dashboard/server";
import type { DevnetNode } from "./nodes";

/**
 * The dashboard's evidence link: fetches a slash's evidence bundle from any node
 * (`GET /v1/evidence/<hash>`, octet-stream or `{ evidence: "0x…" }`), checks it hashes to the slash's
 * `evidenceHash`, and re-runs the attestation verifier's content checks on it here, trusting no
 * node: the signatures and the fraud itself. Whether its challenger was assigned to the device is
 * the DON's check before it slashed (docs/attestation.md, "Who may judge"); the dashboard shows the
 * challenger key so anyone can repeat it.
 */
export function nodeEvidenceLookup(nodes: readonly DevnetNode[], networkId: bigint): EvidenceLookup {
  return async (evidenceHash) => {
    for (const n of nodes) {
      const res = await fetch(`${n.apiUrl}/v1/evidence/${evidenceHash}`, {
        signal: AbortSignal.timeout(3_000),
      }).catch(() => undefined);
      if (!res?.ok) continue;
      const bytes = res.headers.get("content-type")?.includes("json")
        ? hexToBytes(((await res.json()) as { evidence: `0x${string}` }).evidence)
        : new Uint8Array(await res.arrayBuffer());
      if (keccak256(bytes) !== evidenceHash) continue;
      const verdict = verifyEvidenceFast(bytes, { networkId, judges: "unchecked" });
      return {
        evidence: bytesToHex(bytes),
        servedBy: n.apiUrl,
        verdict: verdict.ok
          ? { valid: true, fraud: JSON.parse(JSON.stringify(verdict.value, jsonSafe)) }
          : { valid: false, error: verdict.error.message },
      };
    }
    return undefined;
  };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return bytesToHex(value);
  return value;
}
