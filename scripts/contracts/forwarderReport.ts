import { type Address, concat, type Hex, keccak256, numberToHex, pad, toHex } from "viem";
import { sign } from "viem/accounts";

/** The fields of the forwarder's 109-byte metadata header that precede a report body. */
export interface ReportMetadata {
  executionId: Hex;
  timestamp: number;
  donId: number;
  configVersion: number;
  workflowCid: Hex;
  /** bytes10. */
  workflowName: Hex;
  workflowOwner: Address;
  /** bytes2. */
  reportId: Hex;
}

/** `version(1) | execution id(32) | timestamp(4) | don id(4) | config version(4) | cid(32) | name(10) | owner(20) | report id(2) | body`. */
export function rawReport(meta: ReportMetadata, body: Hex): Hex {
  return concat([
    "0x01",
    pad(meta.executionId, { size: 32 }),
    numberToHex(meta.timestamp, { size: 4 }),
    numberToHex(meta.donId, { size: 4 }),
    numberToHex(meta.configVersion, { size: 4 }),
    pad(meta.workflowCid, { size: 32 }),
    pad(meta.workflowName, { size: 10, dir: "right" }),
    meta.workflowOwner,
    pad(meta.reportId, { size: 2 }),
    body,
  ]);
}

/**
 * Signs a raw report as a DON member does for `KeystoneForwarder.report`: over
 * `keccak256(keccak256(rawReport) || reportContext)`, 65 bytes `r | s | v` with v in {0, 1}.
 */
export async function signReport(raw: Hex, context: Hex, privateKeys: readonly Hex[]): Promise<Hex[]> {
  const digest = keccak256(concat([keccak256(raw), context]));
  return Promise.all(
    privateKeys.map(async (privateKey) => {
      const { r, s, v, yParity } = await sign({ hash: digest, privateKey });
      const parity = yParity ?? Number(v) - 27;
      return concat([pad(r, { size: 32 }), pad(s, { size: 32 }), toHex(parity, { size: 1 })]);
    }),
  );
}
