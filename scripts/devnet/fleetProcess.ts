// Entry of the devnet's device-fleet process (`startFleetProcess` in fleet.ts): runs every device
// agent of the spec file until SIGTERM, or until the devnet's IPC channel closes.
import { readFileSync } from "node:fs";
import { type Address, bytesToHex, hexToBytes } from "viem";
import { createChainAssignment, httpGateway, runFleet } from "../../attestation/agent/index";
import { runUntilSignal } from "../../oracle-node/cli/runUntilSignal";
import { signerFromPeerKey } from "../../oracle-node/intake/index";
import { createLogger } from "../../oracle-node/logger";
import { loadOrCreatePeerKey } from "../../oracle-node/p2p/index";
import { type FleetReady, fleetSpecSchema } from "./fleet";

const spec = fleetSpecSchema.parse(JSON.parse(readFileSync(process.argv[2]!, "utf8")));
await runUntilSignal(async () => {
  const logger = createLogger({ level: "info", base: { module: "fleet" } });
  const assignment = spec.chain
    ? createChainAssignment({
        rpcUrl: spec.chain.rpcUrl,
        registry: spec.chain.registry as Address,
        settlement: spec.chain.settlement as Address,
        networkId: BigInt(spec.chain.networkId),
        logger,
      })
    : undefined;
  const framer = spec.framer;
  let framed = 0;
  const fleet = await runFleet({
    strategies: spec.strategies,
    seed: spec.seed,
    replicaDir: spec.replicaDir,
    owner: (i) => hexToBytes(spec.owners[i] as `0x${string}`),
    gateways: spec.gateways.map((url) => httpGateway(url)),
    assignment,
    ...(framer && {
      framerSigner: signerFromPeerKey(await loadOrCreatePeerKey(framer.peerKeyFile)),
      // What the byzantine oracle fabricates goes to every node's fraud-slash route, so the DON's
      // fraud-slashing workflow judges it. Each one is logged: on an honest device there should be none
      // (the device refuses to sign), and none may slash.
      onFramedEvidence: (evidence, reason) => {
        framed++;
        logger.warn({ reason, framed }, "framer submits fabricated evidence");
        const body = JSON.stringify({ evidence: bytesToHex(evidence) });
        for (const t of framer.fraudSlash)
          fetch(t.url, {
            method: "POST",
            headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json" },
            body,
            signal: AbortSignal.timeout(30_000),
          }).then(
            (res) => logger.info({ status: res.status, url: t.url }, "framed evidence answered"),
            (err: unknown) => logger.info({ err, url: t.url }, "framed evidence not delivered"),
          );
      },
    }),
    logger,
  });
  process.send?.({ type: "fleet-ready", devices: fleet.devices.length } satisfies FleetReady);
  return { logger, close: () => fleet.stop() };
});
