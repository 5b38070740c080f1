// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VigilRegistry} from "../../src/VigilRegistry.sol";
import {VigilSettlement} from "../../src/VigilSettlement.sol";
import {IVigilFeed} from "../../src/interfaces/IVigilFeed.sol";
import {IVigilRegistry} from "../../src/interfaces/IVigilRegistry.sol";
import {IVigilSettlement} from "../../src/interfaces/IVigilSettlement.sol";
import {VigilToken} from "../../src/token/VigilToken.sol";
import {CommutativeTree, VigilFixture} from "./VigilFixture.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

/// Drives settlements, claims, slashes, deposits and unauthorized report attempts, and keeps ghost books that
/// the invariants compare with the contracts.
contract SettlementHandler is CommonBase, StdUtils {
    uint256 internal constant LINES = 4;

    VigilSettlement internal immutable settlement;
    VigilRegistry internal immutable registry;
    VigilToken internal immutable token;
    uint64 internal immutable networkId;
    address internal immutable admin;
    address internal immutable workflowOwner;
    bytes10 internal immutable settleName;
    bytes10 internal immutable slashName;
    uint32 internal immutable epochLength;

    address[] public owners;
    bytes32[] public devices;
    mapping(uint64 epoch => IVigilFeed.DeviceLine[]) internal s_lines;
    mapping(bytes32 key => uint256) public successfulClaims;

    uint64 public settledEpochs;
    uint256 public ghostFunded;
    uint256 public ghostClaimed;
    uint256 public ghostMinted;
    uint256 public ghostSlashedToBudget;
    uint256 public unauthorizedSettles;
    uint256 public doubleClaims;
    uint256 public freshClaims;
    uint256 public failedFreshClaims;
    uint256 public nextEvidence;
    /// Slashes that took stake, per (epoch, device), whichever report kind carried them.
    mapping(bytes32 key => uint256) public appliedSlashes;
    uint256 public repeatedSlashes;
    uint256 public inadmissibleFraudSlashes;

    constructor(
        VigilSettlement settlement_,
        VigilRegistry registry_,
        VigilToken token_,
        uint64 networkId_,
        address admin_,
        address workflowOwner_,
        bytes10 settleName_,
        bytes10 slashName_,
        uint256 minted
    ) {
        settlement = settlement_;
        registry = registry_;
        token = token_;
        networkId = networkId_;
        admin = admin_;
        workflowOwner = workflowOwner_;
        settleName = settleName_;
        slashName = slashName_;
        epochLength = registry_.getNetwork(networkId_).epochLength;
        ghostMinted = minted;
        for (uint256 i = 0; i < LINES; ++i) {
            owners.push(address(uint160(0xA000 + i)));
            devices.push(keccak256(abi.encode("inv-device", i)));
        }
    }

    function _meta(bytes10 name, address owner) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes32(0), name, owner, bytes2(0));
    }

    function _leaves(uint64 epoch) internal view returns (bytes32[] memory leaves) {
        IVigilFeed.DeviceLine[] storage lines = s_lines[epoch];
        leaves = new bytes32[](lines.length);
        for (uint256 i = 0; i < lines.length; ++i) {
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(lines[i]))));
        }
    }

    /// Records a slash that took stake from `deviceId` for `epoch`.
    function _recordSlash(uint64 epoch, bytes32 deviceId, uint256 stakeBefore) internal {
        if (registry.getDevice(deviceId).stake == stakeBefore) return;
        if (++appliedSlashes[keccak256(abi.encode(epoch, deviceId))] > 1) repeatedSlashes += 1;
    }

    function _evidence(bool reuse) internal returns (bytes32 evidence) {
        evidence =
            keccak256(abi.encode("evidence", reuse && nextEvidence > 0 ? nextEvidence - 1 : nextEvidence));
        if (!(reuse && nextEvidence > 0)) nextEvidence += 1;
    }

    function settle(uint256[4] calldata rewards, uint256 slashSeed) external {
        uint64 epoch = settledEpochs;
        delete s_lines[epoch]; // lines of an attempt that returned early
        uint256 budgetPerEpoch = registry.getNetwork(networkId).rewardBudgetPerEpoch;
        uint256 total;
        for (uint256 i = 0; i < LINES; ++i) {
            uint256 reward = bound(rewards[i], 0, budgetPerEpoch / LINES);
            total += reward;
            s_lines[epoch].push(
                IVigilFeed.DeviceLine(networkId, epoch, devices[i], owners[i], 10_000, 1, reward, 0)
            );
        }
        if (total > settlement.budgetOf(networkId)) return;
        IVigilSettlement.EpochSettlement memory s;
        s.networkId = networkId;
        s.epoch = epoch;
        s.resultRoot = CommutativeTree.root(_leaves(epoch));
        s.deviceCount = uint32(LINES);
        s.totalReward = total;
        // One slash with fresh evidence, for a device a fraud report may already have slashed in this epoch.
        bytes32 slashed = keccak256(abi.encode("slashable", slashSeed % 8));
        s.slashes = new IVigilSettlement.DeviceSlash[](1);
        s.slashes[0] = IVigilSettlement.DeviceSlash(slashed, 1e18, 1, _evidence(false));
        uint256 stakeBefore = registry.getDevice(slashed).stake;
        uint256 budgetBefore = settlement.budgetOf(networkId);
        uint256 end = uint256(registry.getNetwork(networkId).genesisTime) + (uint256(epoch) + 1) * epochLength;
        if (block.timestamp < end) vm.warp(end);
        vm.prank(settlement.forwarder());
        settlement.onReport(_meta(settleName, workflowOwner), abi.encode(uint8(1), abi.encode(s)));
        _recordSlash(epoch, slashed, stakeBefore);
        ghostSlashedToBudget += settlement.budgetOf(networkId) + total - budgetBefore;
        settledEpochs = epoch + 1;
        ghostFunded += total;
    }

    function claim(uint256 epochSeed, uint256 lineSeed, address receiver) external {
        if (settledEpochs == 0) return;
        uint64 epoch = uint64(bound(epochSeed, 0, settledEpochs - 1));
        uint256 index = bound(lineSeed, 0, LINES - 1);
        IVigilFeed.DeviceLine memory line = s_lines[epoch][index];
        if (
            receiver == address(0) || receiver == address(settlement) || receiver == address(registry)
                || receiver == address(token)
        ) {
            receiver = line.owner;
        }
        bytes32[] memory proof = CommutativeTree.proof(_leaves(epoch), index);
        bytes32 key = keccak256(abi.encode(epoch, index));
        // A first claim of a line with a reward must succeed; any other claim must fail.
        bool fresh = successfulClaims[key] == 0 && line.reward > 0;
        if (fresh) freshClaims += 1;
        vm.prank(line.owner);
        try settlement.claimTo(networkId, epoch, line, proof, receiver) {
            successfulClaims[key] += 1;
            if (successfulClaims[key] > 1) doubleClaims += 1;
            ghostClaimed += line.reward;
        } catch {
            if (fresh) failedFreshClaims += 1;
        }
    }

    function registerDevice(uint256 seed) external {
        bytes32 deviceId = keccak256(abi.encode("slashable", seed % 8));
        if (registry.getDevice(deviceId).status != IVigilRegistry.Status.None) return;
        uint128 stake = registry.getNetwork(networkId).stakePerDevice;
        address owner = address(uint160(0xB000 + seed % 8));
        vm.prank(admin);
        token.mint(owner, stake);
        ghostMinted += stake;
        vm.startPrank(owner);
        token.approve(address(registry), stake);
        registry.registerDevice(networkId, deviceId, owner);
        vm.stopPrank();
    }

    /// A fraud report for an epoch around the current one: the next, the current, the one just closed or older.
    function fraudSlash(uint256 seed, uint256 amount, bool reuseEvidence, uint256 epochSeed) external {
        bytes32 deviceId = keccak256(abi.encode("slashable", seed % 8));
        uint256 current = (block.timestamp - registry.getNetwork(networkId).genesisTime) / epochLength;
        uint256 back = bound(epochSeed, 0, 3);
        uint64 epoch = uint64(current + 1 > back ? current + 1 - back : 0);
        uint256 budgetBefore = settlement.budgetOf(networkId);
        uint256 stakeBefore = registry.getDevice(deviceId).stake;
        IVigilSettlement.DeviceSlash memory slash =
            IVigilSettlement.DeviceSlash(deviceId, bound(amount, 0, 1e30), 1, _evidence(reuseEvidence));
        vm.prank(settlement.forwarder());
        settlement.onReport(
            _meta(slashName, workflowOwner), abi.encode(uint8(2), abi.encode(networkId, epoch, slash))
        );
        if (registry.getDevice(deviceId).stake != stakeBefore && epoch != current && epoch + 1 != current) {
            inadmissibleFraudSlashes += 1;
        }
        _recordSlash(epoch, deviceId, stakeBefore);
        ghostSlashedToBudget += settlement.budgetOf(networkId) - budgetBefore;
    }

    /// Lets time pass without a settlement, so fraud reports meet stale epochs too.
    function wait(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 3 * uint256(epochLength)));
    }

    function deposit(uint256 amount) external {
        amount = bound(amount, 1, 1e24);
        vm.prank(admin);
        token.mint(address(this), amount);
        ghostMinted += amount;
        token.approve(address(settlement), amount);
        settlement.depositBudget(networkId, amount);
    }

    /// Any caller other than the forwarder, or any workflow other than the configured one, must fail.
    function attackSettle(address caller, address owner, bytes10 name) external {
        bool authorized = caller == settlement.forwarder() && owner == workflowOwner && name == settleName;
        if (authorized) return;
        IVigilSettlement.EpochSettlement memory s;
        s.networkId = networkId;
        s.epoch = settledEpochs;
        s.resultRoot = bytes32(uint256(1));
        s.slashes = new IVigilSettlement.DeviceSlash[](0);
        vm.warp(block.timestamp + epochLength);
        vm.prank(caller);
        try settlement.onReport(_meta(name, owner), abi.encode(uint8(1), abi.encode(s))) {
            unauthorizedSettles += 1;
        } catch {}
    }

    function slashableDevice(uint256 i) external pure returns (bytes32) {
        return keccak256(abi.encode("slashable", i));
    }
}

contract VigilInvariantsTest is VigilFixture {
    SettlementHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new SettlementHandler(
            settlement,
            registry,
            token,
            networkId,
            admin,
            workflowOwner,
            SETTLE_NAME,
            SLASH_NAME,
            token.totalSupply()
        );
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](7);
        selectors[0] = SettlementHandler.settle.selector;
        selectors[1] = SettlementHandler.claim.selector;
        selectors[2] = SettlementHandler.registerDevice.selector;
        selectors[3] = SettlementHandler.fraudSlash.selector;
        selectors[4] = SettlementHandler.deposit.selector;
        selectors[5] = SettlementHandler.attackSettle.selector;
        selectors[6] = SettlementHandler.wait.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function invariant_TotalClaimedNeverExceedsFundedPerEpoch() public view {
        uint64 epochs = handler.settledEpochs();
        uint256 claimed;
        for (uint64 e = 0; e < epochs; ++e) {
            IVigilFeed.EpochResult memory r = settlement.epochResult(networkId, e);
            assertLe(r.claimed, r.totalReward);
            claimed += r.claimed;
        }
        assertEq(claimed, handler.ghostClaimed());
    }

    function invariant_NoLineClaimedTwice() public view {
        assertEq(handler.doubleClaims(), 0);
    }

    /// Keeps the claim invariants meaningful: valid first claims are paid, so `ghostClaimed` really moves.
    function invariant_ValidFirstClaimsArePaid() public view {
        assertEq(handler.failedFreshClaims(), 0);
    }

    function afterInvariant() external view {
        // Over a whole run the handler does settle and claim (not only revert).
        if (handler.settledEpochs() > 0 && handler.freshClaims() > 0) assertGt(handler.ghostClaimed(), 0);
    }

    function invariant_SlashesNeverExceedStake() public view {
        for (uint256 i = 0; i < 8; ++i) {
            IVigilRegistry.Device memory d = registry.getDevice(handler.slashableDevice(i));
            if (d.status == IVigilRegistry.Status.None) continue;
            assertEq(uint256(d.stake) + d.slashed, STAKE_PER_DEVICE);
        }
    }

    /// At most one slash per device and epoch, across settlements and fraud reports, and a fraud report only
    /// for the current epoch or the one just closed.
    function invariant_OneSlashPerDeviceAndEpoch() public view {
        assertEq(handler.repeatedSlashes(), 0);
        assertEq(handler.inadmissibleFraudSlashes(), 0);
    }

    function invariant_OnlyForwarderWithWorkflowSettles() public view {
        assertEq(handler.unauthorizedSettles(), 0);
        assertEq(settlement.nextEpoch(networkId), handler.settledEpochs());
    }

    function invariant_TokenSupplyAccounting() public view {
        assertEq(token.totalSupply(), handler.ghostMinted());
        // Settlement holds exactly the unspent budget plus what was funded and not yet claimed.
        uint256 deposited = 10_000e18;
        uint256 budget = settlement.budgetOf(networkId);
        assertEq(
            token.balanceOf(address(settlement)), budget + handler.ghostFunded() - handler.ghostClaimed()
        );
        assertEq(
            token.balanceOf(address(settlement)) + handler.ghostClaimed(),
            deposited + _deposits() + handler.ghostSlashedToBudget()
        );
        // The registry holds exactly the stakes that are still locked.
        uint256 stakes;
        for (uint256 i = 0; i < 8; ++i) {
            stakes += registry.getDevice(handler.slashableDevice(i)).stake;
        }
        assertEq(token.balanceOf(address(registry)), stakes);
    }

    /// Tokens the handler deposited: everything it minted except device stakes.
    function _deposits() internal view returns (uint256 total) {
        uint256 registered;
        for (uint256 i = 0; i < 8; ++i) {
            if (registry.getDevice(handler.slashableDevice(i)).status != IVigilRegistry.Status.None) {
                ++registered;
            }
        }
        total = handler.ghostMinted() - 100_000e18 - registered * STAKE_PER_DEVICE;
    }
}
