import { FUNCTIONS_CRYPTO } from "./functionsCrypto";

/**
 * Chainlink Functions source: fetches a device's line from Vigil feed nodes and returns it as
 * `abi.encode(IVigilFeed.DeviceLine)` (8 words, 256 bytes: the default on-chain response limit) only
 * if it verifies the way the TypeScript client does: the line hashes to a leaf whose Merkle proof
 * leads to a result root that `threshold` distinct registered signers signed (EIP-712 `ResultVote`,
 * recovered in the sandbox). Quorum counts signers, never URLs, so one node listed twice (or as
 * 127.0.0.1 and localhost) adds nothing. With `requireSettled`, the root must be the one the
 * settlement contract stored, read with `eth_call` from `rpcUrl`; the node's `settled` flag is ignored.
 *
 * args: [networkId, epoch, deviceId, threshold ("0": f + 1), requireSettled ("true"/"false"),
 *        chainId, settlement, signers (comma-separated registered signer addresses), rpcUrl ("" when
 *        requireSettled is "false"), nodeUrl, nodeUrl, ...]
 *
 * The signer list comes from the requesting contract (e.g. the registry's `getActiveSigners()`),
 * never from a node. Plain JavaScript kept as a string: the DON executes this text, not the build.
 */
export const DEVICE_LINE_SOURCE = `${FUNCTIONS_CRYPTO}
${String.raw`
const [networkId, epoch, deviceId, thresholdArg, requireSettledArg, chainId, settlement, signersArg, rpcUrl, ...nodes] = args;
const isAddress = (a) => /^0x[0-9a-fA-F]{40}$/.test(a);
if (!/^\d+$/.test(networkId) || !/^\d+$/.test(epoch)) throw Error("networkId and epoch must be decimal");
if (!/^0x[0-9a-fA-F]{64}$/.test(deviceId)) throw Error("deviceId must be 32 bytes hex");
if (!/^\d+$/.test(chainId)) throw Error("chainId must be decimal");
if (!isAddress(settlement)) throw Error("settlement must be an address");
const signers = (signersArg ?? "").split(",").filter((s) => s).map((s) => s.toLowerCase());
if (signers.length === 0 || !signers.every(isAddress)) throw Error("signers must be comma-separated addresses");
const registered = new Set(signers);
if (registered.size !== signers.length) throw Error("signers must be distinct");
const threshold = thresholdArg === "0" ? Math.floor((signers.length - 1) / 3) + 1 : Number(thresholdArg);
if (!Number.isInteger(threshold) || threshold < 1 || threshold > signers.length)
  throw Error("threshold must be 0 (f + 1) or 1..signers");
if (requireSettledArg !== "true" && requireSettledArg !== "false") throw Error("requireSettled must be true or false");
const requireSettled = requireSettledArg === "true";
if (requireSettled && !/^https?:\/\//.test(rpcUrl)) throw Error("requireSettled needs an rpcUrl");
if (nodes.length === 0) throw Error("at least one node URL is needed");

const path = "/v1/networks/" + networkId + "/epochs/" + epoch + "/devices/" + deviceId;
const responses = await Promise.all(
  nodes.map((node) => Functions.makeHttpRequest({ url: node.replace(/\/$/, "") + path, timeout: 4000 })),
);

/** One node's answer, checked; returns the encoded line, its root and who signed it. */
const check = (res) => {
  if (res.error || !res.data || !res.data.line || !res.data.result) throw Error("no line");
  const { line, leaf, proof, result } = res.data;
  if (line.networkId !== networkId || line.epoch !== epoch) throw Error("another epoch's line");
  if (String(line.deviceId).toLowerCase() !== deviceId.toLowerCase()) throw Error("another device's line");
  if (result.networkId !== networkId || result.epoch !== epoch) throw Error("another epoch's result");
  const encoded = encodeLine(line);
  const computedLeaf = lineLeaf(encoded);
  if (bytesToHex(computedLeaf) !== String(leaf).toLowerCase()) throw Error("line does not hash to its leaf");
  if (!Array.isArray(proof) || !verifyMerkleProof(computedLeaf, proof, result.resultRoot))
    throw Error("proof does not lead to the root");
  const digest = resultVoteDigest(chainId, settlement, networkId, epoch, result.resultRoot, result.observationsCommitment);
  const voted = new Set();
  for (const vote of result.votes ?? []) {
    const recovered = recoverAddress(digest, vote.signature);
    if (recovered && recovered === String(vote.signer).toLowerCase() && registered.has(recovered)) voted.add(recovered);
  }
  if (voted.size < threshold)
    throw Error("root signed by " + voted.size + " of " + threshold + " required registered signers");
  return { encoded: bytesToHex(encoded), root: result.resultRoot.toLowerCase() };
};

const accepted = [];
const problems = [];
responses.forEach((res, i) => {
  try {
    accepted.push(check(res));
  } catch (e) {
    problems.push("node " + i + ": " + e.message);
  }
});
if (accepted.length === 0) throw Error("no verified line: " + problems.join("; ").slice(0, 200));

let lines = accepted;
if (requireSettled) {
  // epochResult(uint64,uint64) returns (root, commitment, totalReward, claimed, totalSlash, deviceCount,
  // settledAt) and reverts with EpochNotSettled before settlement.
  const data = bytesToHex(concatBytes(keccak256(utf8("epochResult(uint64,uint64)")).slice(0, 4), uintWord(networkId), uintWord(epoch)));
  const rpc = await Functions.makeHttpRequest({
    url: rpcUrl,
    method: "POST",
    headers: { "content-type": "application/json" },
    data: { jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to: settlement, data }, "latest"] },
    timeout: 4000,
  });
  if (rpc.error || !rpc.data) throw Error("rpc unreachable");
  if (rpc.data.error || typeof rpc.data.result !== "string" || rpc.data.result.length < 2 + 64 * 7)
    throw Error("epoch " + epoch + " is not settled on chain");
  const stored = "0x" + rpc.data.result.slice(2, 66).toLowerCase();
  lines = accepted.filter((a) => a.root === stored);
  if (lines.length === 0) throw Error("no node served the settled root " + stored);
}
if (lines.some((a) => a.encoded !== lines[0].encoded)) throw Error("nodes served different verified lines");
return hexToBytes(lines[0].encoded);
`}`;
