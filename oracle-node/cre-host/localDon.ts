import type { Address, Hex, LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { WorkflowBundle } from "./bundle";
import type { WriteRecord } from "./capabilities/evm";
import type { SecretsProvider } from "./execution";
import { type CreHost, createCreHost, type ExecutionOutcome } from "./host";
import {
  createNodeCapabilities,
  type NodeCapabilitiesOptions,
  type NodeChainConfig,
} from "./nodeCapabilities";
import type { CreLimits } from "./options";
import { createInProcessDon } from "./transport";

export interface LocalDonOptions {
  bundle: WorkflowBundle;
  config: Uint8Array;
  workflow: { name: string; owner: Hex };
  donId: number;
  configVersion: number;
  f: number;
  /** One report signer key per node (the forwarder's configured signers, in order). */
  signerKeys: Hex[];
  /** One transmitter key per node (funded on the chain). */
  transmitterKeys: Hex[];
  chain: Omit<NodeChainConfig, "transmitter">;
  transmitDelayMs?: number;
  simulateWrites?: boolean;
  /** Each node's own secrets (a real node reads them from its config or environment). */
  secrets?: (node: number) => SecretsProvider;
  limits?: Partial<CreLimits>;
  /** HTTP actions' response and timeout limits (default: the node's). */
  http?: NodeCapabilitiesOptions["http"];
  reportId?: Hex;
  log?: (node: number, line: { executionId: Hex; message: string }) => void;
  onWrite?: (node: number, write: WriteRecord) => void;
}

export interface LocalDon {
  hosts: CreHost[];
  members: Address[];
  /** Fires a cron tick on every node, as each node's scheduler would; resolves with every outcome. */
  fireCron(scheduledTime: Date, triggerIndex?: number): Promise<ExecutionOutcome[]>;
  fireHttp(
    input: Uint8Array,
    opts?: { triggerIndex?: number; eventId?: string },
  ): Promise<ExecutionOutcome[]>;
  stop(): Promise<void>;
}

/**
 * A whole DON in one process: n CRE hosts for one workflow, joined by the in-process transport.
 * For tests, benchmarks and the simulator; a real node runs one host and a libp2p transport.
 */
export async function startLocalDon(opts: LocalDonOptions): Promise<LocalDon> {
  const n = opts.signerKeys.length;
  const signers: LocalAccount[] = opts.signerKeys.map((k) => privateKeyToAccount(k));
  const members = signers.map((s) => s.address);
  const transports = createInProcessDon(n);
  const hosts = await Promise.all(
    signers.map((signer, self) =>
      createCreHost({
        bundle: opts.bundle,
        config: opts.config,
        workflow: opts.workflow,
        don: {
          id: opts.donId,
          configVersion: opts.configVersion,
          members,
          f: opts.f,
          transport: transports[self]!,
        },
        signer,
        capabilities: createNodeCapabilities({
          self,
          donSize: n,
          chains: [{ ...opts.chain, transmitter: privateKeyToAccount(opts.transmitterKeys[self]!) }],
          transmitDelayMs: opts.transmitDelayMs,
          simulateWrites: opts.simulateWrites,
          http: opts.http,
          onWrite: (w) => opts.onWrite?.(self, w),
        }),
        secrets: opts.secrets?.(self),
        limits: opts.limits,
        reportId: opts.reportId,
        log: (line) => opts.log?.(self, line),
      }),
    ),
  );
  return {
    hosts,
    members,
    fireCron: (t, i) => Promise.all(hosts.map((h) => h.fireCron(t, i))),
    fireHttp: (input, o) => Promise.all(hosts.map((h) => h.fireHttp(input, o))),
    async stop() {
      await Promise.all(hosts.map((h) => h.stop()));
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}
