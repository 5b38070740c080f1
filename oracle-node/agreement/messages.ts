// Consensus messages on the agreement topic: JSON validated with zod where they enter. Each travels
// inside a p2p envelope signed by the sender's peer key; that envelope is the signed message kept
// as justification and as equivocation evidence. Result votes additionally carry their EIP-712
// signature by the sender's Ethereum key.
import { z } from "zod";
import { AgreementError } from "./errors";

const hex = (bytes: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`));
const uint64 = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/)
  .transform((s) => BigInt(s))
  .refine((v) => v < 1n << 64n, "uint64 out of range");
const view = z.number().int().min(0).max(1_000_000);

export const ObservationRefSchema = z.object({ observer: hex(20), hash: hex(32) });

const base = { networkId: uint64, epoch: uint64 };

export const ProposalSchema = z.object({
  t: z.literal("proposal"),
  ...base,
  view,
  /** -1: a fresh value; otherwise the view of the prevote quorum in `justification`. */
  validView: z.number().int().min(-1).max(1_000_000),
  observations: z.array(ObservationRefSchema).min(1).max(1024),
  /** Base64 envelopes of 2f+1 prevotes for this value in `validView` (empty when validView = -1). */
  justification: z.array(z.string().max(4096)).max(1024),
});

export const VoteStepSchema = z.object({
  t: z.enum(["prevote", "precommit"]),
  ...base,
  view,
  /** Value id (the observations commitment) or null for nil. */
  value: hex(32).nullable(),
});

export const ResultVoteMsgSchema = z.object({
  t: z.literal("vote"),
  ...base,
  resultRoot: hex(32),
  observationsCommitment: hex(32),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
});

export const ConsensusMessageSchema = z.discriminatedUnion("t", [
  ProposalSchema,
  VoteStepSchema,
  ResultVoteMsgSchema,
]);

export type ProposalMsg = z.infer<typeof ProposalSchema>;
export type VoteStepMsg = z.infer<typeof VoteStepSchema>;
export type ResultVoteMsg = z.infer<typeof ResultVoteMsgSchema>;
export type ConsensusMessage = z.infer<typeof ConsensusMessageSchema>;

export function encodeMessage(m: ConsensusMessage): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(m, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  );
}

export function decodeMessage(bytes: Uint8Array): ConsensusMessage {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new AgreementError("AGREEMENT_BAD_MESSAGE", "agreement message is not JSON", {}, { cause });
  }
  const parsed = ConsensusMessageSchema.safeParse(json);
  if (!parsed.success)
    throw new AgreementError("AGREEMENT_BAD_MESSAGE", "malformed agreement message", {
      issues: parsed.error.issues.slice(0, 3),
    });
  return parsed.data;
}
