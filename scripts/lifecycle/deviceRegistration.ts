import { existsSync, readFileSync } from "node:fs";
import { type Address, bytesToHex, getAddress, type Hex, hexToBytes, isHex } from "viem";
import { z } from "zod";
import { verifyMessageFast } from "../../attestation/index";
import { LifecycleError } from "./errors";

/**
 * What `vigil device registration` prints: the device's signed registration envelope plus, for
 * people, what it says. Only `registration` is trusted; the other fields must agree with it.
 */
export const registrationFileSchema = z.object({
  registration: z
    .string()
    .refine((v) => isHex(v) && v.length > 2, "expected the signed registration as 0x hex"),
  deviceId: z.string().optional(),
  networkId: z.union([z.string(), z.number()]).optional(),
  owner: z.string().optional(),
});

/** `--registration`: a file written by `vigil device registration`, or its JSON inline. */
export function readRegistrationInput(value: string): z.infer<typeof registrationFileSchema> {
  const text = value.trimStart().startsWith("{") ? value : readFileIfPresent(value);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LifecycleError(
      "INVALID_INPUT",
      "--registration is neither a JSON file nor inline JSON",
      {},
      { cause },
    );
  }
  const parsed = registrationFileSchema.safeParse(json);
  if (!parsed.success)
    throw new LifecycleError("INVALID_INPUT", `--registration: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function readFileIfPresent(path: string): string {
  if (!existsSync(path)) throw new LifecycleError("INVALID_INPUT", `--registration: no such file ${path}`);
  return readFileSync(path, "utf8");
}

export interface VerifiedRegistration {
  deviceId: Hex;
  owner: Address;
}

/**
 * Checks a device's own signed registration before anyone pays its stake: the Ed25519 signature by
 * the device key, the network it names, and the owner it names.
 *
 * Threat: `registerDevice` is open to anyone and cannot check the Ed25519 key, and a key registers
 * once, ever (docs/attestation.md, "Owner binding"). Registering a key for an owner the device did
 * not name would lock the stake of a device that nodes never credit, and squat the key for good.
 * Requiring the device's signature naming this owner means the command only ever registers a
 * device for the owner its key holder chose. A replayed registration is harmless: it can only
 * register the device for the owner it already names, who then gets the stake back on exit.
 */
export function verifyDeviceRegistration(
  input: z.infer<typeof registrationFileSchema>,
  expect: { networkId: bigint; owner: Address },
): VerifiedRegistration {
  const result = verifyMessageFast(hexToBytes(input.registration as Hex), {
    kind: "registration",
    networkId: expect.networkId,
  });
  if (!result.ok)
    throw new LifecycleError("BAD_REGISTRATION", `device registration refused: ${result.error.message}`, {
      code: result.error.code,
    });
  const deviceId = bytesToHex(result.value.signer);
  const owner = getAddress(bytesToHex(result.value.body.owner));
  if (owner !== expect.owner)
    throw new LifecycleError(
      "BAD_REGISTRATION",
      `device registration names owner ${owner}, but this registration would be for ${expect.owner}`,
      { owner, expected: expect.owner },
    );
  // The readable fields are a convenience; a file whose fields disagree with what was signed is refused,
  // so nobody is shown one owner while the chain gets another.
  if (input.deviceId !== undefined && input.deviceId.toLowerCase() !== deviceId)
    throw new LifecycleError(
      "BAD_REGISTRATION",
      `deviceId ${input.deviceId} is not the key that signed (${deviceId})`,
    );
  if (input.owner !== undefined && input.owner.toLowerCase() !== owner.toLowerCase())
    throw new LifecycleError(
      "BAD_REGISTRATION",
      `owner ${input.owner} differs from the signed owner ${owner}`,
    );
  if (input.networkId !== undefined && BigInt(input.networkId) !== expect.networkId)
    throw new LifecycleError(
      "BAD_REGISTRATION",
      `networkId ${input.networkId} differs from --network ${expect.networkId}`,
    );
  return { deviceId, owner };
}
