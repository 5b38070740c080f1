import {
  concat,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  parseAbi,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, sign } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Anvil, startAnvil } from "../anvil";
import { readReportSignatures } from "./reportSignatures";

// anvil's first well-known dev account.
const FUNDED = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");

describe("readReportSignatures", () => {
  let anvil: Anvil;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(() => anvil.stop());

  it("recovers the signers of a forwarder report transaction, in order", async () => {
    const chain = { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
    const client = createPublicClient({ chain, transport: http(anvil.rpcUrl), pollingInterval: 50 });
    const wallet = createWalletClient({ account: FUNDED, chain, transport: http(anvil.rpcUrl) });
    const rawReport = toHex(new Uint8Array(150).fill(7));
    const reportContext = toHex(new Uint8Array(96).fill(1));
    const digest = keccak256(concat([keccak256(rawReport), reportContext]));
    const keys = [generatePrivateKey(), generatePrivateKey()];
    const signatures = await Promise.all(
      keys.map(async (key) => {
        const { r, s, yParity } = await sign({ hash: digest, privateKey: key });
        // The forwarder's format: r | s | v with v in {0, 1}.
        return concat([r, s, toHex(yParity ?? 0, { size: 1 })]) as Hex;
      }),
    );
    const receiver = `0x${"42".repeat(20)}` as const;
    const data = encodeFunctionData({
      abi: parseAbi(["function report(address, bytes, bytes, bytes[])"]),
      args: [receiver, rawReport, reportContext, signatures],
    });
    // Sent to an account with no code, the call is a plain transaction carrying the same calldata.
    const hash = await wallet.sendTransaction({ to: `0x${"99".repeat(20)}`, data });
    await client.waitForTransactionReceipt({ hash });

    const read = await readReportSignatures(client, hash);
    expect(read.receiver.toLowerCase()).toBe(receiver);
    expect(read.signers).toEqual(keys.map((k) => privateKeyToAccount(k).address));
  });
});
