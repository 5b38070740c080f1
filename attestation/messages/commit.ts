import { Reader, Writer } from "../bytes";

/** Signed by the device: its compute result root, sent before it learns which rows are sampled. */
export interface CommitBody {
  challengeId: Uint8Array;
  resultRoot: Uint8Array;
}

export const encodeCommitBody = (b: CommitBody): Uint8Array =>
  new Writer().fixed(b.challengeId, 32).fixed(b.resultRoot, 32).finish();

export function decodeCommitBody(body: Uint8Array): CommitBody {
  const r = new Reader(body);
  const challengeId = r.bytes(32, "commit.challengeId");
  const resultRoot = r.bytes(32, "commit.resultRoot");
  r.end("commit");
  return { challengeId, resultRoot };
}
