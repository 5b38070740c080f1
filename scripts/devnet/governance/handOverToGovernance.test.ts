import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, type Hex, parseAbi, parseEther, zeroAddress, zeroHash } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deployment, timelockControllerAbi, vigilTokenAbi } from "../../../contracts";
import { deployVigil } from "../../deploy/deploy";
import { type Anvil, startAnvil } from "../anvil";
import { type ChainClients, DEPLOYER_KEY, devnetClients } from "../clients";
import { type DevnetLane, startDevnetLane } from "../lane";
import { handOverToGovernance } from "./handOverToGovernance";

// Views of every owner role the devnet's deployer may hold on the home chain.
const ownedAbi = parseAbi([
  "function owner() view returns (address)",
  "function pendingOwner() view returns (address)",
]);
const registryAbi = parseAbi([
  "function getTokenConfig(address token) view returns ((address administrator, address pendingAdministrator, address tokenPool))",
]);
const signers = [1, 2, 3, 4].map((i) => privateKeyToAccount(`0x${String(i).padStart(64, "0")}`).address);

let home: Anvil;
let remote: Anvil;
let dataDir: string;
let lane: DevnetLane;
let clients: ChainClients;
let d: Deployment;

beforeAll(async () => {
  [home, remote] = await Promise.all([startAnvil(), startAnvil({ chainId: 31338 })]);
  dataDir = mkdtempSync(join(tmpdir(), "vigil-handover-"));
  clients = devnetClients(home.chainId, "home", home.rpcUrl);
  const deployment = await deployVigil({
    rpcUrl: home.rpcUrl,
    privateKey: DEPLOYER_KEY,
    signers,
    f: 1,
    workflows: [{ kind: 1, owner: clients.wallet.account.address, name: `0x${"11".repeat(10)}` }],
    mint: [{ to: clients.wallet.account.address, amount: parseEther("1000") }],
  });
  lane = await startDevnetLane({
    home: clients,
    remote: devnetClients(remote.chainId, "remote", remote.rpcUrl),
    homeRpcUrl: home.rpcUrl,
    remoteRpcUrl: remote.rpcUrl,
    token: deployment.token,
    settlement: deployment.settlement,
    dataDir,
  });
  d = await handOverToGovernance(clients, deployment, lane);
}, 120_000);
afterAll(async () => {
  await lane?.relayer.stop();
  await Promise.all([home?.stop(), remote?.stop()]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("handOverToGovernance", () => {
  const deployer = () => clients.wallet.account.address;
  const read = <T>(address: Address, abi: readonly unknown[], functionName: string, args: unknown[] = []) =>
    clients.public.readContract({ address, abi: abi as never, functionName, args } as never) as Promise<T>;

  it("leaves the deployer no ownership: the timelock owns every Ownable contract, with nothing pending", async () => {
    const timelock = d.timelock as Address;
    // Chainlink's two-step owners (forwarder, pool) keep the pending owner private: owner() changes only
    // once the timelock accepted. ClaimBridgeHook is one-step Ownable.
    for (const address of [d.registry, d.settlement, d.forwarder, lane.homePool, lane.hook])
      expect(await read(address, ownedAbi, "owner")).toBe(timelock);
    for (const address of [d.registry, d.settlement])
      expect(await read(address, ownedAbi, "pendingOwner")).toBe(zeroAddress);
    const config = await read<{ administrator: Address; pendingAdministrator: Address }>(
      lane.config.chains[0].tokenAdminRegistry,
      registryAbi,
      "getTokenConfig",
      [d.token],
    );
    expect(config).toMatchObject({ administrator: timelock, pendingAdministrator: zeroAddress });
  });

  it("leaves the deployer no role on VGL or the timelock; the timelock administers VGL", async () => {
    const timelock = d.timelock as Address;
    const tokenRoles = await Promise.all(
      ["DEFAULT_ADMIN_ROLE", "MINTER_ROLE", "BURNER_ROLE"].map((r) => read<Hex>(d.token, vigilTokenAbi, r)),
    );
    for (const role of tokenRoles)
      expect(await read(d.token, vigilTokenAbi, "hasRole", [role, deployer()])).toBe(false);
    expect(await read(d.token, vigilTokenAbi, "hasRole", [zeroHash, timelock])).toBe(true);
    expect(await read(d.token, vigilTokenAbi, "getCCIPAdmin")).toBe(timelock);
    // The pool still mints and burns (the lane works under governance).
    expect(await read(d.token, vigilTokenAbi, "hasRole", [tokenRoles[1], lane.homePool])).toBe(true);

    const timelockRoles = await Promise.all(
      ["DEFAULT_ADMIN_ROLE", "PROPOSER_ROLE", "CANCELLER_ROLE", "EXECUTOR_ROLE"].map((r) =>
        read<Hex>(timelock, timelockControllerAbi, r),
      ),
    );
    for (const role of timelockRoles.slice(0, 3))
      expect(await read(timelock, timelockControllerAbi, "hasRole", [role, deployer()])).toBe(false);
    expect(await read(timelock, timelockControllerAbi, "hasRole", [timelockRoles[1], d.governor])).toBe(true);
    // Its delay is the devnet's, set by the bootstrap batch the deployer may no longer schedule.
    expect(await read(timelock, timelockControllerAbi, "getMinDelay")).toBe(12n);
  });

  it("gives the deployer the votes it proposes with", async () => {
    expect(await read(d.token, vigilTokenAbi, "delegates", [deployer()])).toBe(deployer());
    expect(await read(d.token, vigilTokenAbi, "getVotes", [deployer()])).toBe(parseEther("1000"));
  });
});
