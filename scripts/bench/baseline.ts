import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";

/** Operations per second of `op`, run for at least `minMs` milliseconds after a warm-up. */
export function measureRate(op: () => void, minMs = 1_000): number {
  for (let i = 0; i < 200; i++) op();
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 100; i++) op();
    count += 100;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

const message = Buffer.alloc(128, 7);

/** Raw `node:crypto` Ed25519 verifications per second on this core: the baseline later scenarios divide by. */
export function ed25519VerifyRate(minMs?: number): number {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const signature = sign(null, message, privateKey);
  return measureRate(() => {
    if (!verify(null, message, publicKey, signature))
      throw new Error("ed25519 baseline signature did not verify");
  }, minMs);
}

/** Raw `node:crypto` secp256k1 ECDSA (SHA-256) verifications per second on this core. */
export function secp256k1VerifyRate(minMs?: number): number {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
  const publicKey = createPublicKey(createPrivateKey(privateKey.export({ format: "pem", type: "pkcs8" })));
  const signature = sign("sha256", message, privateKey);
  return measureRate(() => {
    if (!verify("sha256", message, publicKey, signature))
      throw new Error("secp256k1 baseline signature did not verify");
  }, minMs);
}
