import { type Hex, hexToBytes } from "viem";
import { z } from "zod";
import type { ResultVote } from "../agreement/types";
import { BackfillError } from "./errors";

/** libp2p protocol id: one request, one length-prefixed answer, then the stream closes. */
export const BACKFILL_PROTOCOL = "/vigil/backfill/1.0.0";
/** A request is two decimal integers in JSON: far below this. */
export const MAX_REQUEST_BYTES = 256;

const uint = z.string().regex(/^(0|[1-9]\d{0,19})$/, "must be a decimal unsigned integer");
/** A token amount (uint256): up to 78 decimal digits; a reward of 100 VGL is already 21. */
const uint256 = z.string().regex(/^(0|[1-9]\d{0,77})$/, "must be a decimal uint256");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 bytes of hex");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be an address");
const hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "must be hex");

const Request = z.strictObject({ networkId: uint, epoch: uint });

/** At most this many observations and votes in one answer: one per oracle of a large network. */
const MAX_ORACLES = 256;
/** Rewards in one answer: one per device line. */
const MAX_LINES = 1_000_000;

const Answer = z.discriminatedUnion("ok", [
  z.strictObject({
    ok: z.literal(true),
    networkId: uint,
    epoch: uint,
    observations: z
      .array(z.strictObject({ observer: address, hash: bytes32, envelope: hex }))
      .max(MAX_ORACLES),
    votes: z
      .array(
        z.strictObject({
          signer: address,
          signature: hex,
          resultRoot: bytes32,
          observationsCommitment: bytes32,
        }),
      )
      .max(MAX_ORACLES),
    // The settled lines' rewards, in line (deviceId) order; the answer's size limit bounds the count.
    // Optional: a peer without it (an older version) answers as before, and the SLA's rewards then
    // fail the root check instead of the decode.
    rewards: z.array(uint256).max(MAX_LINES).optional(),
  }),
  z.strictObject({ ok: z.literal(false), reason: z.string().max(200) }),
]);

export interface BackfillRequest {
  networkId: bigint;
  epoch: bigint;
}

export interface BackfillAnswer {
  observations: { observer: Hex; hash: Hex; envelope: Uint8Array }[];
  votes: ResultVote[];
  /**
   * Each line's reward, in line order. The uptime SLA makes a reward depend on the settled history
   * before the epoch; the asking node checks these against the settled root instead of needing that
   * history (and that of the epochs before it) to recompute them.
   */
  rewards: bigint[];
}

const json = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

export function encodeRequest(r: BackfillRequest): Uint8Array {
  return json({ networkId: r.networkId.toString(), epoch: r.epoch.toString() });
}

/** Throws BACKFILL_BAD_RESPONSE (used on the serving side too: the caller maps it). */
export function decodeRequest(bytes: Uint8Array): BackfillRequest {
  const r = Request.safeParse(parse(bytes, "request"));
  if (!r.success) throw bad("request", r.error.issues[0]?.message);
  return { networkId: BigInt(r.data.networkId), epoch: BigInt(r.data.epoch) };
}

export function encodeAnswer(networkId: bigint, epoch: bigint, a: BackfillAnswer): Uint8Array {
  return json({
    ok: true,
    networkId: networkId.toString(),
    epoch: epoch.toString(),
    observations: a.observations.map((o) => ({
      observer: o.observer,
      hash: o.hash,
      envelope: `0x${Buffer.from(o.envelope).toString("hex")}`,
    })),
    votes: a.votes.map((v) => ({
      signer: v.signer,
      signature: v.signature,
      resultRoot: v.resultRoot,
      observationsCommitment: v.observationsCommitment,
    })),
    rewards: a.rewards.map(String),
  });
}

export function encodeRefusal(reason: string): Uint8Array {
  return json({ ok: false, reason });
}

/**
 * Parses a peer's answer to the request for (networkId, epoch). Throws BACKFILL_BAD_RESPONSE for
 * anything malformed or about another epoch, BACKFILL_UNAVAILABLE for a refusal.
 */
export function decodeAnswer(bytes: Uint8Array, want: BackfillRequest): BackfillAnswer {
  const r = Answer.safeParse(parse(bytes, "answer"));
  if (!r.success) {
    const issue = r.error.issues[0];
    throw bad("answer", `${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim());
  }
  const a = r.data;
  if (!a.ok) throw new BackfillError("BACKFILL_UNAVAILABLE", `the peer does not have it: ${a.reason}`);
  if (BigInt(a.networkId) !== want.networkId || BigInt(a.epoch) !== want.epoch)
    throw bad("answer", `is for network ${a.networkId} epoch ${a.epoch}`);
  return {
    observations: a.observations.map((o) => ({
      observer: o.observer as Hex,
      hash: o.hash as Hex,
      envelope: hexToBytes(o.envelope as Hex),
    })),
    votes: a.votes.map((v) => ({
      networkId: want.networkId,
      epoch: want.epoch,
      signer: v.signer as Hex,
      signature: v.signature as Hex,
      resultRoot: v.resultRoot as Hex,
      observationsCommitment: v.observationsCommitment as Hex,
    })),
    rewards: (a.rewards ?? []).map(BigInt),
  };
}

function parse(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw bad(what, "is not UTF-8 JSON");
  }
}

const bad = (what: string, why = "is malformed") =>
  new BackfillError("BACKFILL_BAD_RESPONSE", `backfill ${what} ${why}`);
