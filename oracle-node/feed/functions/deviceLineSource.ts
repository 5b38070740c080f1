/**
 * Chainlink Functions source: fetches a device's line from several Vigil feed nodes, requires
 * `quorum` of them to serve the same line under the same result root, and returns the line as
 * `abi.encode(IVigilFeed.DeviceLine)` (8 words, 256 bytes: the default on-chain response limit).
 *
 * args: [networkId, epoch, deviceId, quorum, requireSettled ("true"/"false"), nodeUrl, nodeUrl, ...]
 *
 * It runs in the Functions sandbox (Deno, no imports), so it checks agreement between independent
 * nodes rather than the oracle signatures; see docs/consumers.md for when that trade is right.
 * Plain JavaScript kept as a string: the DON executes this text, not the TypeScript build.
 */
export const DEVICE_LINE_SOURCE = String.raw`
const [networkId, epoch, deviceId, quorumArg, requireSettledArg, ...nodes] = args;
const quorum = Number(quorumArg);
if (!/^\d+$/.test(networkId) || !/^\d+$/.test(epoch)) throw Error("networkId and epoch must be decimal");
if (!/^0x[0-9a-fA-F]{64}$/.test(deviceId)) throw Error("deviceId must be 32 bytes hex");
if (!Number.isInteger(quorum) || quorum < 1 || quorum > nodes.length) throw Error("quorum must be 1..nodes");
const requireSettled = requireSettledArg === "true";

const path = "/v1/networks/" + networkId + "/epochs/" + epoch + "/devices/" + deviceId;
const responses = await Promise.all(
  nodes.map((node) => Functions.makeHttpRequest({ url: node.replace(/\/$/, "") + path, timeout: 4000 })),
);

const word = (hex) => hex.replace(/^0x/, "").toLowerCase().padStart(64, "0");
const uint = (decimal) => {
  if (!/^\d+$/.test(String(decimal))) throw Error("not an unsigned integer: " + decimal);
  return word(BigInt(decimal).toString(16));
};

// Group answers by (encoded line, root); a line counts once per node that served it.
const tally = new Map();
for (const res of responses) {
  if (res.error || !res.data || !res.data.line || !res.data.result) continue;
  const { line, result } = res.data;
  if (line.networkId !== networkId || line.epoch !== epoch) continue;
  if (line.deviceId.toLowerCase() !== deviceId.toLowerCase()) continue;
  if (requireSettled && result.settled !== true) continue;
  let encoded;
  try {
    encoded =
      uint(line.networkId) + uint(line.epoch) + word(line.deviceId) + word(line.owner) +
      uint(line.uptimeBps) + uint(line.work) + uint(line.reward) + uint(line.slash);
  } catch {
    continue;
  }
  const key = encoded + ":" + result.resultRoot.toLowerCase();
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

let best = undefined;
let votes = 0;
for (const [key, count] of tally) if (count > votes) [best, votes] = [key, count];
if (!best || votes < quorum) throw Error("only " + votes + " of " + quorum + " nodes agree on the line");

const hex = best.split(":")[0];
const bytes = new Uint8Array(hex.length / 2);
for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
return bytes;
`;
