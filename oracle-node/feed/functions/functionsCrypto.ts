/**
 * Keccak-256, secp256k1 public-key recovery and the checks built on them, as plain JavaScript text
 * for Chainlink Functions sources: the sandbox runs one script without imports, so the verification
 * the TypeScript client takes from viem and OpenZeppelin is written out here. Correctness is tested
 * against viem (`functionsCrypto.test.ts`). Kept as a string: the DON executes this text.
 *
 * Defines: hexToBytes, bytesToHex, concatBytes, keccak256, utf8, word, uintWord, recoverAddress,
 * resultVoteDigest, encodeLine, lineLeaf, verifyMerkleProof.
 */
export const FUNCTIONS_CRYPTO = String.raw`
const hexToBytes = (hex) => {
  const h = hex.replace(/^0x/, "");
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) throw Error("not hex: " + hex.slice(0, 20));
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
};
const bytesToHex = (bytes) => "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const concatBytes = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

// Keccak-f[1600] on 25 64-bit lanes held as BigInts (FIPS 202 round constants and rotations).
const MASK64 = (1n << 64n) - 1n;
const KECCAK_RC = [
  0x1n, 0x8082n, 0x800000000000808an, 0x8000000080008000n, 0x808bn, 0x80000001n, 0x8000000080008081n,
  0x8000000000008009n, 0x8an, 0x88n, 0x80008009n, 0x8000000an, 0x8000808bn, 0x800000000000008bn,
  0x8000000000008089n, 0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n, 0x800an,
  0x800000008000000an, 0x8000000080008081n, 0x8000000000008080n, 0x80000001n, 0x8000000080008008n,
];
const KECCAK_ROT = [
  0n, 1n, 62n, 28n, 27n, 36n, 44n, 6n, 55n, 20n, 3n, 10n, 43n, 25n, 39n, 41n, 45n, 15n, 21n, 8n, 18n, 2n,
  61n, 56n, 14n,
];
const rotl64 = (v, n) => (n === 0n ? v : ((v << n) | (v >> (64n - n))) & MASK64);
const keccakF = (s) => {
  const b = new Array(25);
  for (let round = 0; round < 24; round++) {
    const c = [0, 1, 2, 3, 4].map((x) => s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20]);
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1n);
      for (let y = 0; y < 25; y += 5) s[y + x] ^= d;
    }
    for (let x = 0; x < 5; x++)
      for (let y = 0; y < 5; y++) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl64(s[x + 5 * y], KECCAK_ROT[x + 5 * y]);
    for (let y = 0; y < 25; y += 5)
      for (let x = 0; x < 5; x++) s[y + x] = b[y + x] ^ (~b[y + ((x + 1) % 5)] & MASK64 & b[y + ((x + 2) % 5)]);
    s[0] ^= KECCAK_RC[round];
  }
};
const keccak256 = (bytes) => {
  const rate = 136;
  const padded = new Uint8Array(Math.floor(bytes.length / rate) * rate + rate);
  padded.set(bytes);
  padded[bytes.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  const s = new Array(25).fill(0n);
  for (let off = 0; off < padded.length; off += rate) {
    for (let i = 0; i < rate / 8; i++) {
      let lane = 0n;
      for (let k = 7; k >= 0; k--) lane = (lane << 8n) | BigInt(padded[off + i * 8 + k]);
      s[i] ^= lane;
    }
    keccakF(s);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 4; i++) for (let k = 0; k < 8; k++) out[i * 8 + k] = Number((s[i] >> BigInt(8 * k)) & 0xffn);
  return out;
};
const utf8 = (text) => new TextEncoder().encode(text);

/** One ABI word: a hex value left-padded, or a decimal/BigInt unsigned integer. */
const word = (hex) => hexToBytes(hex.replace(/^0x/, "").toLowerCase().padStart(64, "0"));
const uintWord = (value) => {
  if (!/^\d+$/.test(String(value))) throw Error("not an unsigned integer: " + value);
  const big = BigInt(value);
  if (big >= 1n << 256n) throw Error("does not fit in uint256: " + value);
  return word(big.toString(16));
};

// secp256k1 in Jacobian coordinates (no inversion per step); recovery as ecrecover does it.
const SECP_P = 2n ** 256n - 2n ** 32n - 977n;
const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP_G = [
  0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
  0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
  1n,
];
const mod = (a, m) => {
  const r = a % m;
  return r < 0n ? r + m : r;
};
const powMod = (base, exp, m) => {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
};
const invMod = (a, m) => powMod(a, m - 2n, m);
const pointDouble = ([x, y, z]) => {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const a = (x * x) % SECP_P;
  const b = (y * y) % SECP_P;
  const c = (b * b) % SECP_P;
  const d = mod(2n * ((x + b) * (x + b) - a - c), SECP_P);
  const e = (3n * a) % SECP_P;
  const x3 = mod(e * e - 2n * d, SECP_P);
  return [x3, mod(e * (d - x3) - 8n * c, SECP_P), (2n * y * z) % SECP_P];
};
const pointAdd = (p1, p2) => {
  if (p1[2] === 0n) return p2;
  if (p2[2] === 0n) return p1;
  const z1z1 = (p1[2] * p1[2]) % SECP_P;
  const z2z2 = (p2[2] * p2[2]) % SECP_P;
  const u1 = (p1[0] * z2z2) % SECP_P;
  const u2 = (p2[0] * z1z1) % SECP_P;
  const s1 = (p1[1] * z2z2 * p2[2]) % SECP_P;
  const s2 = (p2[1] * z1z1 * p1[2]) % SECP_P;
  if (u1 === u2) return s1 === s2 ? pointDouble(p1) : [0n, 1n, 0n];
  const h = mod(u2 - u1, SECP_P);
  const r = mod(s2 - s1, SECP_P);
  const hh = (h * h) % SECP_P;
  const hhh = (hh * h) % SECP_P;
  const x3 = mod(r * r - hhh - 2n * u1 * hh, SECP_P);
  return [x3, mod(r * (u1 * hh - x3) - s1 * hhh, SECP_P), (h * p1[2] * p2[2]) % SECP_P];
};
const pointMul = (k, point) => {
  let acc = [0n, 1n, 0n];
  for (let i = BigInt(k.toString(2).length) - 1n; i >= 0n; i--) {
    acc = pointDouble(acc);
    if ((k >> i) & 1n) acc = pointAdd(acc, point);
  }
  return acc;
};

/** The address that made a 65-byte r|s|v signature over a 32-byte digest, or undefined if none did. */
const recoverAddress = (digest, signatureHex) => {
  const sig = hexToBytes(signatureHex);
  if (sig.length !== 65) return undefined;
  const r = BigInt(bytesToHex(sig.slice(0, 32)));
  const s = BigInt(bytesToHex(sig.slice(32, 64)));
  const v = sig[64] >= 27 ? sig[64] - 27 : sig[64];
  if (v > 1 || r < 1n || r >= SECP_N || s < 1n || s >= SECP_N) return undefined;
  const y2 = mod(r * r * r + 7n, SECP_P);
  let y = powMod(y2, (SECP_P + 1n) / 4n, SECP_P);
  if ((y * y) % SECP_P !== y2) return undefined;
  if (Number(y & 1n) !== v) y = SECP_P - y;
  const rInv = invMod(r, SECP_N);
  const z = BigInt(bytesToHex(digest));
  const q = pointAdd(pointMul(mod(-z * rInv, SECP_N), SECP_G), pointMul((s * rInv) % SECP_N, [r, y, 1n]));
  if (q[2] === 0n) return undefined;
  const zInv = invMod(q[2], SECP_P);
  const x = (q[0] * zInv * zInv) % SECP_P;
  const qy = (q[1] * zInv * zInv * zInv) % SECP_P;
  const hash = keccak256(concatBytes(word(x.toString(16)), word(qy.toString(16))));
  return bytesToHex(hash.slice(12));
};

/** The EIP-712 digest of a ResultVote (docs/interfaces.md, "Result votes"). */
const resultVoteDigest = (chainId, settlement, networkId, epoch, resultRoot, observationsCommitment) => {
  const domain = keccak256(
    concatBytes(
      keccak256(utf8("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")),
      keccak256(utf8("Vigil")),
      keccak256(utf8("1")),
      uintWord(chainId),
      word(settlement),
    ),
  );
  const struct = keccak256(
    concatBytes(
      keccak256(utf8("ResultVote(uint64 networkId,uint64 epoch,bytes32 resultRoot,bytes32 observationsCommitment)")),
      uintWord(networkId),
      uintWord(epoch),
      word(resultRoot),
      word(observationsCommitment),
    ),
  );
  return keccak256(concatBytes(new Uint8Array([0x19, 0x01]), domain, struct));
};

/** abi.encode of an IVigilFeed.DeviceLine (8 words) from its JSON form (decimal strings). */
const encodeLine = (line) =>
  concatBytes(
    uintWord(line.networkId),
    uintWord(line.epoch),
    word(line.deviceId),
    word(line.owner),
    uintWord(line.uptimeBps),
    uintWord(line.work),
    uintWord(line.reward),
    uintWord(line.slash),
  );
/** The StandardMerkleTree leaf of a line: keccak256(keccak256(abi.encode(line))). */
const lineLeaf = (encodedLine) => keccak256(keccak256(encodedLine));

/** OpenZeppelin MerkleProof.verify: sorted pairs from the leaf up to the root. */
const verifyMerkleProof = (leaf, proof, rootHex) => {
  let node = leaf;
  for (const siblingHex of proof) {
    const sibling = word(siblingHex);
    node = bytesToHex(node) < bytesToHex(sibling) ? keccak256(concatBytes(node, sibling)) : keccak256(concatBytes(sibling, node));
  }
  return bytesToHex(node) === rootHex.toLowerCase();
};
`;
