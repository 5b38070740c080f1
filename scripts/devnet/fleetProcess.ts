// Entry of the devnet's device-fleet process (`startFleetProcess` in fleet.ts): runs every device
// agent of the spec file until SIGTERM, or until the devnet's IPC channel closes.
import { readFileSync } from "node:fs";
import { hexToBytes } from "viem";
import { httpGateway, runFleet } from "../../attestation/agent/index";
import { runUntilSignal } from "../../oracle-node/cli/runUntilSignal";
import { createLogger } from "../../oracle-node/logger";
import { type FleetReady, fleetSpecSchema } from "./fleet";

const spec = fleetSpecSchema.parse(JSON.parse(readFileSync(process.argv[2]!, "utf8")));
await runUntilSignal(async () => {
  const logger = createLogger({ level: "info", base: { module: "fleet" } });
  const fleet = await runFleet({
    strategies: spec.strategies,
    seed: spec.seed,
    owner: (i) => hexToBytes(spec.owners[i] as `0x${string}`),
    gateways: spec.gateways.map((url) => httpGateway(url)),
    logger,
  });
  process.send?.({ type: "fleet-ready", devices: fleet.devices.length } satisfies FleetReady);
  return { logger, close: () => fleet.stop() };
});
