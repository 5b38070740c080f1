import { Command, Option } from "commander";
import { pino } from "pino";
import { bytesToHex } from "../bytes";
import { generateKey, nodeSigner } from "../crypto/node";
import { createChainAssignment } from "./chainAssignment";
import { httpGateway } from "./client";
import { loadDeviceConfig } from "./config";
import { startDeviceAgent } from "./deviceAgent";
import { caFetch } from "./tlsFetch";

/** `vigil device ...`: run a device agent, or make a device key. */
export function deviceCommand(): Command {
  const device = new Command("device").description("run a Vigil device agent");

  device
    .command("run")
    .description("register with the assigned oracle nodes, send heartbeats and answer challenges")
    .requiredOption("--config <file>", "device config (TOML), see docs/attestation.md")
    .addOption(
      new Option("--duration-ms <ms>", "stop after this long (default: run until SIGINT/SIGTERM)").argParser(
        Number,
      ),
    )
    .action(async (opts: { config: string; durationMs?: number }) => {
      const config = loadDeviceConfig(opts.config);
      // The node's log format (oracle-node/logger.ts): JSON lines, level names, ISO times.
      const logger = pino({
        level: config.logLevel,
        base: { module: "device" },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      });
      const signer = nodeSigner(config.secretKey);
      // `tls_ca_file`: trusted for this agent's requests to its nodes, on top of the default CAs.
      const fetchVia = config.tlsCa && caFetch(config.tlsCa);
      const agent = startDeviceAgent({
        signer,
        owner: config.owner,
        capabilities: config.capabilities,
        storage: config.storage,
        gateways: config.nodes.map((url) => httpGateway(url, { fetch: fetchVia })),
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        pollWaitMs: config.pollWaitMs,
        // `[chain]`: answer only the oracles the chain assigns to this device (read by itself).
        assignment: config.chain && createChainAssignment({ ...config.chain, logger }),
        logger,
      });
      logger.info(
        {
          deviceId: `0x${bytesToHex(signer.publicKey)}`,
          nodes: config.nodes,
          assignment: config.chain
            ? `chain ${config.chain.rpcUrl}, network ${config.chain.networkId}`
            : "unchecked",
        },
        "device agent started",
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        if (opts.durationMs !== undefined) setTimeout(stop, opts.durationMs).unref();
      });
      await agent.stop();
      logger.info({ stats: agent.stats }, "device agent stopped");
    });

  device
    .command("keygen")
    .description("print a new device secret key and its deviceId (the raw Ed25519 public key)")
    .action(() => {
      const { secretKey, signer } = generateKey();
      console.log(
        JSON.stringify({
          secretKey: `0x${bytesToHex(secretKey)}`,
          deviceId: `0x${bytesToHex(signer.publicKey)}`,
        }),
      );
    });

  return device;
}
