import { Command, InvalidArgumentError, Option } from "commander";
import { formatEvent } from "./console";
import { startDevnet } from "./devnet";
import { DevnetError } from "./errors";
import type { DevnetEvent } from "./events";

const int = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
  return Number(value);
};

/** `vigil devnet` (and `npm start`): the whole network on this machine. */
export function devnetCommand(): Command {
  return new Command("devnet")
    .description("run a local Vigil network: two chains, oracle nodes, a device fleet and a live dashboard")
    .addOption(new Option("--epochs <n>", "epochs to run (default: until Ctrl-C)").argParser(int))
    .addOption(
      new Option("--devices <m>", "devices in the fleet, each of its strategies at least once").argParser(
        int,
      ),
    )
    .addOption(
      new Option(
        "--strategies <set>",
        "fleet strategies besides honest: `defended` (those whose targets hold) or `all` (every attack, open ones too)",
      ).choices(["defended", "all"]),
    )
    .addOption(new Option("--nodes <k>", "oracle nodes (n = 3f + 1, at least 4)").argParser(int))
    .addOption(new Option("--epoch-seconds <s>", "length of one epoch in seconds").argParser(int))
    .addOption(new Option("--port <port>", "dashboard port on 127.0.0.1 (0: any free port)").argParser(int))
    .addOption(
      new Option(
        "--startup-timeout <s>",
        "seconds the nodes and the fleet may take to come up while they make progress (default 900)",
      ).argParser(int),
    )
    .option("--data-dir <dir>", "where chain state, node data and logs live", ".vigil/devnet")
    .option("--fresh", "wipe the data dir and start a new devnet (the default)")
    .option("--resume", "continue the devnet kept in the data dir")
    .option("--exit", "after --epochs N, print a JSON summary and exit (0: every check held)")
    .action(async (flags: Record<string, unknown>) => {
      process.exitCode = await runDevnetCli(flags);
    });
}

async function runDevnetCli(flags: Record<string, unknown>): Promise<number> {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  let devnet: Awaited<ReturnType<typeof startDevnet>> | undefined;
  let stopped = false;
  const unsubscribe = () => {
    stopped = true;
  };
  const shutdown = async (signal: string) => {
    write(`\n${signal}: stopping every devnet process…`);
    unsubscribe();
    await devnet?.stop();
    write("stopped.");
    process.exit(130);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    write("Vigil devnet: starting…");
    // Node events repeat whenever a node's peers change; the terminal shows each node coming up once.
    const nodesUp = new Set<number>();
    const print = (e: DevnetEvent) => {
      if (e.type === "node") {
        if (e.status !== "up" || nodesUp.has(e.index)) return;
        nodesUp.add(e.index);
      }
      const line = formatEvent(e);
      if (line) write(line);
    };
    devnet = await startDevnet(
      {
        epochs: flags.epochs as number | undefined,
        devices: flags.devices as number | undefined,
        strategies: flags.strategies as "defended" | "all" | undefined,
        nodes: flags.nodes as number | undefined,
        epochSeconds: flags.epochSeconds as number | undefined,
        port: flags.port as number | undefined,
        startupTimeout: flags.startupTimeout as number | undefined,
        dataDir: flags.dataDir as string,
        fresh: Boolean(flags.fresh),
        resume: Boolean(flags.resume),
        exit: Boolean(flags.exit),
      },
      {
        onEvent: (e) => {
          if (!stopped) print(e);
        },
      },
    );

    write(`Dashboard: ${devnet.dashboardUrl}   (Ctrl-C stops everything)`);

    const { options } = devnet;
    if (options.epochs === undefined) {
      await new Promise<never>(() => {});
    }
    const summary = await devnet.done;
    const complete = summary.ok && summary.epochsSettled >= (options.epochs ?? 0);
    const final = complete
      ? summary
      : {
          ...summary,
          ok: false,
          reason:
            summary.reason ??
            `settled ${summary.epochsSettled} of ${options.epochs} epochs: see stages for what is not wired`,
        };
    if (!options.exit) {
      write(`Ran ${options.epochs} epochs; the devnet keeps running (Ctrl-C stops it).`);
      await new Promise<never>(() => {});
    }
    unsubscribe();
    await devnet.stop();
    write(JSON.stringify(final));
    return complete ? 0 : 1;
  } catch (error) {
    unsubscribe();
    await devnet?.stop();
    const reason = error instanceof Error ? error.message : String(error);
    const code = error instanceof DevnetError ? error.code : "UNEXPECTED";
    process.stderr.write(`devnet failed (${code}): ${reason}\n`);
    write(JSON.stringify({ ok: false, code, reason }));
    return 1;
  }
}
