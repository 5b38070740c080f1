// The verdict stream's events (`GET /v1/networks/{networkId}/verdicts/stream` and webhooks): their
// JSON shape, the EIP-712 messages a node signs them with, and the check a consumer runs on each.
//
// Signed with the node's Ethereum signer, not its libp2p Ed25519 peer key (which signs gateway
// records, attestation/gatewayRecord.ts): a feed consumer already holds the registry's active signer
// list (`getActiveSigners`, the same list ResultVotes are counted against) and viem, which recovers
// EIP-712 signatures in browsers too; checking a peer key would need the registry's peer ids, a
// libp2p peer-id decoder and an Ed25519 library in the client. Devices, which speak only Ed25519,
// are why gateway records use the peer key.
import { type Address, type Hex, isAddressEqual, recoverTypedDataAddress } from "viem";
import { z } from "zod";
import { resultVoteDomain } from "../../../contracts/portable";
import { Bytes32, Uint64String } from "../responseSchemas";

const AddressString = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address");
const Signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte hex signature");

/** Challenge kinds a verdict is about (attestation's `ChallengeType`). */
export const VERDICT_KINDS = ["compute", "storage", "bandwidth", "latency"] as const;
/** What the node concluded from one challenge; `rejected` input (no attributable device) is never published. */
export const VERDICT_OUTCOMES = ["pass", "late", "missed", "fraud"] as const;

/**
 * One node's verdict on one challenge while the epoch runs. `provisional: true` always: it is that
 * node's word, not a settlement; the epoch's agreed line (after `settled`) is what counts.
 */
export const ProvisionalVerdictJson = z.strictObject({
  type: z.literal("verdict"),
  provisional: z.literal(true),
  networkId: Uint64String,
  epoch: Uint64String,
  deviceId: Bytes32,
  kind: z.enum(VERDICT_KINDS),
  outcome: z.enum(VERDICT_OUTCOMES),
  challengeId: Bytes32,
  /** keccak256 of the fraud evidence bundle (look it up, re-verify it); null unless `outcome` is `fraud`. */
  evidenceHash: Bytes32.nullable(),
  /** The node's event sequence number (per node, monotonic, survives restarts). */
  seq: Uint64String,
  /** Unix ms when the node published it. */
  timeMs: Uint64String,
  /** The node's registered Ethereum signer, which signed this event. */
  signer: AddressString,
  signature: Signature,
});
export type ProvisionalVerdictJson = z.infer<typeof ProvisionalVerdictJson>;

/** The node saw the epoch's root stored by the settlement contract (check it on chain before paying). */
export const SettledEventJson = z.strictObject({
  type: z.literal("settled"),
  networkId: Uint64String,
  epoch: Uint64String,
  resultRoot: Bytes32,
  seq: Uint64String,
  timeMs: Uint64String,
  signer: AddressString,
  signature: Signature,
});
export type SettledEventJson = z.infer<typeof SettledEventJson>;

export type SignedStreamEventJson = ProvisionalVerdictJson | SettledEventJson;
/** An event before its signature (what the EIP-712 message covers). */
export type UnsignedStreamEvent =
  | Omit<ProvisionalVerdictJson, "signature">
  | Omit<SettledEventJson, "signature">;
export const SignedStreamEventJson = z.discriminatedUnion("type", [ProvisionalVerdictJson, SettledEventJson]);

/** Unsigned control events: `reset` (resume impossible: re-read the feed) and `overflow` (reader too slow). */
export const ResetEventJson = z.strictObject({
  reason: z.enum(["too-old", "unknown-id"]),
  /** The oldest sequence number the node can still resume after (its buffer's start). */
  oldestSeq: Uint64String,
  /** The node's newest sequence number. */
  latestSeq: Uint64String,
  message: z.string().max(500),
});
export type ResetEventJson = z.infer<typeof ResetEventJson>;

export const provisionalVerdictTypes = {
  ProvisionalVerdict: [
    { name: "networkId", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "deviceId", type: "bytes32" },
    { name: "kind", type: "string" },
    { name: "outcome", type: "string" },
    { name: "challengeId", type: "bytes32" },
    { name: "evidenceHash", type: "bytes32" },
    { name: "seq", type: "uint64" },
    { name: "timeMs", type: "uint64" },
  ],
} as const;

export const settledNoticeTypes = {
  SettledNotice: [
    { name: "networkId", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "resultRoot", type: "bytes32" },
    { name: "seq", type: "uint64" },
    { name: "timeMs", type: "uint64" },
  ],
} as const;

const ZERO32 = `0x${"00".repeat(32)}` as Hex;

/**
 * The EIP-712 typed data of an event, under the `ResultVote` domain (name `Vigil`, version `1`, the
 * chain and the settlement contract): a signature cannot be replayed on another deployment, and a
 * `ProvisionalVerdict` or `SettledNotice` can never pass for a `ResultVote`.
 */
export function streamEventTypedData(
  event: UnsignedStreamEvent,
  domain: { chainId: number | bigint; settlement: Address },
) {
  const d = resultVoteDomain(domain.chainId, domain.settlement);
  if (event.type === "settled")
    return {
      domain: d,
      types: settledNoticeTypes,
      primaryType: "SettledNotice" as const,
      message: {
        networkId: BigInt(event.networkId),
        epoch: BigInt(event.epoch),
        resultRoot: event.resultRoot as Hex,
        seq: BigInt(event.seq),
        timeMs: BigInt(event.timeMs),
      },
    };
  return {
    domain: d,
    types: provisionalVerdictTypes,
    primaryType: "ProvisionalVerdict" as const,
    message: {
      networkId: BigInt(event.networkId),
      epoch: BigInt(event.epoch),
      deviceId: event.deviceId as Hex,
      kind: event.kind,
      outcome: event.outcome,
      challengeId: event.challengeId as Hex,
      evidenceHash: (event.evidenceHash ?? ZERO32) as Hex,
      seq: BigInt(event.seq),
      timeMs: BigInt(event.timeMs),
    },
  };
}

export interface VerifyStreamEventParameters {
  chainId: number | bigint;
  settlement: Address;
  /** Active registered oracle signers; when given, an event signed by anyone else is rejected. */
  signers?: readonly Address[];
}

/** Why an event fails its check, or undefined when its signature recovers to its `signer` (and that signer is listed). */
export async function streamEventProblem(
  event: SignedStreamEventJson,
  params: VerifyStreamEventParameters,
): Promise<string | undefined> {
  const { signature, ...unsigned } = event;
  let recovered: Address;
  try {
    const typed = streamEventTypedData(unsigned, params);
    recovered =
      typed.primaryType === "SettledNotice"
        ? await recoverTypedDataAddress({ ...typed, signature: signature as Hex })
        : await recoverTypedDataAddress({ ...typed, signature: signature as Hex });
  } catch (cause) {
    return `signature does not recover: ${(cause as Error).message.split("\n")[0]}`;
  }
  if (!isAddressEqual(recovered, event.signer as Address))
    return `signed by ${recovered}, not by the claimed signer ${event.signer}`;
  if (params.signers && !params.signers.some((s) => isAddressEqual(s, recovered)))
    return `signer ${recovered} is not an active registered oracle`;
  return undefined;
}
