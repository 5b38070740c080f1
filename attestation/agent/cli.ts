import { Command, InvalidArgumentError, Option } from "commander";
import { pino } from "pino";
import { bytesToHex } from "../bytes";
import { generateKey, nodeSigner } from "../crypto/node";
import { signMessage } from "../messages/sign";
import { createChainAssignment } from "./chainAssignment";
import { httpGateway } from "./client";
import { DeviceConfigError, loadDeviceConfig } from "./config";
import { startDeviceAgent } from "./deviceAgent";
import { createGatewayDirectory, discoveredGateways } from "./gatewayDirectory";
import { deploymentAddresses, initDevice } from "./initDevice";
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
      // `[chain]`: answer only the oracles the chain assigns to this device (read by itself).
      const assignment = config.chain && createChainAssignment({ ...config.chain, logger });
      const connect = (url: string) => httpGateway(url, { fetch: fetchVia });
      // With discovery, `nodes` are bootstraps: the agent serves the nodes the chain assigns it, found
      // in gateway records that verify against the chain (docs/attestation.md, "Gateway discovery").
      const discover = assignment && config.chain?.discover;
      const agent = startDeviceAgent({
        signer,
        owner: config.owner,
        capabilities: config.capabilities,
        storage: config.storage,
        gateways: discover ? [] : config.nodes.map(connect),
        ...(discover && {
          gatewaySource: discoveredGateways(
            createGatewayDirectory({ bootstraps: config.nodes, assignment, fetch: fetchVia, logger }),
            connect,
            { networkId: assignment.networkId, logger },
          ),
        }),
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        pollWaitMs: config.pollWaitMs,
        assignment,
        logger,
      });
      logger.info(
        {
          deviceId: `0x${bytesToHex(signer.publicKey)}`,
          nodes: discover ? { bootstrap: config.nodes } : config.nodes,
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
    .command("registration")
    .description(
      "print the device's signed registration (its key naming its owner and network), for `vigil device register`",
    )
    .requiredOption("--config <file>", "device config (TOML): its key and owner")
    .option("--network <id>", "network id (default: the config's [chain] network_id)", (v: string) => {
      if (!/^[0-9]+$/.test(v) || BigInt(v) >= 2n ** 64n)
        throw new InvalidArgumentError(`expected a network id, got "${v}"`);
      return BigInt(v);
    })
    .action((opts: { config: string; network?: bigint }) => {
      const config = loadDeviceConfig(opts.config);
      const networkId = opts.network ?? config.chain?.networkId;
      if (networkId === undefined) {
        console.error("error: pass --network (the config has no [chain] network_id)");
        process.exitCode = 1;
        return;
      }
      const signer = nodeSigner(config.secretKey);
      // Epoch 0: the chain registration is not tied to an epoch; the signature still binds the
      // network, so it cannot be replayed into another one.
      const registration = signMessage(
        "registration",
        { networkId, epoch: 0n },
        {
          owner: config.owner,
          capabilities: config.capabilities,
          storageRoot: new Uint8Array(32),
          storageChunks: 0,
          storageChunkBytes: 0,
        },
        signer,
      );
      console.log(
        JSON.stringify({
          deviceId: `0x${bytesToHex(signer.publicKey)}`,
          networkId: networkId.toString(),
          owner: `0x${bytesToHex(config.owner)}`,
          registration: `0x${bytesToHex(registration)}`,
        }),
      );
    });

  device
    .command("init")
    .description("write a device key (device.key) and a device.toml for `vigil device run`")
    .requiredOption("--dir <path>", "directory for device.key and device.toml")
    .requiredOption("--owner <address>", "the address that registers the device and receives its rewards")
    .requiredOption(
      "--nodes <urls>",
      "comma-separated node device-gateway URLs (bootstraps with --network)",
      (v) => v.split(",").filter(Boolean),
    )
    .option(
      "--network <id>",
      "network id: with --rpc-url and --deployment, adds [chain] (verified assignment)",
      (v: string) => {
        if (!/^[0-9]+$/.test(v) || BigInt(v) >= 2n ** 64n)
          throw new InvalidArgumentError(`expected a network id, got "${v}"`);
        return BigInt(v);
      },
    )
    .option("--rpc-url <url>", "chain RPC the agent reads its assignment from")
    .option(
      "--deployment <file>",
      "deployment JSON (`vigil deploy --out`): registry and settlement addresses",
    )
    .option("--compute-class <n>", "declared compute class (capabilities.compute_class)", (v: string) => {
      if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
      return Number(v);
    })
    .option("--force", "replace an existing device.toml (the key is never replaced)", false)
    .action(
      (o: {
        dir: string;
        owner: string;
        nodes: string[];
        network?: bigint;
        rpcUrl?: string;
        deployment?: string;
        computeClass?: number;
        force: boolean;
      }) => {
        try {
          const chainFlags = [o.network, o.rpcUrl, o.deployment].filter((v) => v !== undefined).length;
          if (chainFlags !== 0 && chainFlags !== 3)
            throw new DeviceConfigError("pass all of --network, --rpc-url and --deployment, or none");
          const chain =
            o.network !== undefined && o.rpcUrl && o.deployment
              ? { rpcUrl: o.rpcUrl, networkId: o.network, ...deploymentAddresses(o.deployment) }
              : undefined;
          const r = initDevice({ ...o, chain });
          console.log(`config:    ${r.configPath}`);
          console.log(`key:       ${r.keyPath}${r.reusedKey ? " (existing key kept)" : ""}`);
          console.log(`device id: ${r.deviceId}`);
        } catch (error) {
          console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
          process.exitCode = 1;
        }
      },
    );

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
