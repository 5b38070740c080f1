// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VigilSettlement} from "../../src/VigilSettlement.sol";
import {IClaimHook} from "../../src/interfaces/IClaimHook.sol";
import {IVigilFeed} from "../../src/interfaces/IVigilFeed.sol";
import {IVigilRegistry} from "../../src/interfaces/IVigilRegistry.sol";
import {IVigilSettlement} from "../../src/interfaces/IVigilSettlement.sol";
import {VigilFixture} from "./VigilFixture.sol";
import {IReceiver} from "@chainlink/contracts/src/v0.8/keystone/interfaces/IReceiver.sol";
import {IERC165} from "@openzeppelin/contracts@5.0.2/utils/introspection/IERC165.sol";
import {Ownable} from "@openzeppelin/contracts@5.3.0/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts@5.3.0/utils/cryptography/ECDSA.sol";

/// A claim hook that records what it got, like the CCIP bridge hook would before sending.
contract RecordingHook is IClaimHook {
    address public claimant;
    uint256 public amount;
    bytes public data;

    function onVigilClaim(address claimant_, uint256 amount_, bytes calldata data_)
        external
        returns (bytes32)
    {
        claimant = claimant_;
        amount = amount_;
        data = data_;
        return keccak256(data_);
    }
}

/// A hook that tries to claim the same line again from inside the callback.
contract ReentrantHook is IClaimHook {
    VigilSettlement internal immutable settlement;
    IVigilFeed.DeviceLine internal line;
    bytes32[] internal proof;

    constructor(VigilSettlement settlement_) {
        settlement = settlement_;
    }

    function arm(IVigilFeed.DeviceLine memory line_, bytes32[] memory proof_) external {
        line = line_;
        proof = proof_;
    }

    function onVigilClaim(address, uint256, bytes calldata) external returns (bytes32) {
        settlement.claim(line.networkId, line.epoch, line, proof);
        return bytes32(0);
    }
}

contract VigilSettlementTest is VigilFixture {
    bytes32 internal constant DEVICE = keccak256("device-a");

    // ================================================================
    // Configuration
    // ================================================================

    function test_ConstructorWiring() public view {
        assertEq(settlement.registry(), address(registry));
        assertEq(settlement.token(), address(token));
        assertEq(settlement.forwarder(), address(forwarder));
        assertEq(settlement.treasury(), admin);
        assertEq(settlement.reporterRewardBps(), REPORTER_BPS);
        assertEq(settlement.owner(), admin);
        IVigilSettlement.Workflow memory w = settlement.workflow(1);
        assertEq(w.owner, workflowOwner);
        assertEq(w.name, SETTLE_NAME);
    }

    function test_RevertIf_ConstructorZeroForwarder() public {
        vm.expectRevert(IVigilSettlement.ZeroAddress.selector);
        new VigilSettlement(registry, address(0), admin, 0);
    }

    function test_RevertIf_ConstructorBpsTooHigh() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.InvalidBps.selector, 10_001));
        new VigilSettlement(registry, address(forwarder), admin, 10_001);
    }

    function test_SupportsIReceiverAndERC165() public view {
        assertTrue(settlement.supportsInterface(type(IReceiver).interfaceId));
        assertTrue(settlement.supportsInterface(type(IERC165).interfaceId));
        assertFalse(settlement.supportsInterface(0xffffffff));
    }

    function test_AdminSetters() public {
        vm.startPrank(admin);
        settlement.setForwarder(alice);
        settlement.setTreasury(bob);
        settlement.setReporterRewardBps(1_000);
        settlement.setWorkflow(2, alice, bytes10("other"));
        vm.stopPrank();
        assertEq(settlement.forwarder(), alice);
        assertEq(settlement.treasury(), bob);
        assertEq(settlement.reporterRewardBps(), 1_000);
        assertEq(settlement.workflow(2).owner, alice);
    }

    function test_RevertIf_SetterNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        settlement.setForwarder(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        settlement.setWorkflow(1, alice, bytes10("x"));
    }

    function test_RevertIf_SetterInvalidValues() public {
        vm.startPrank(admin);
        vm.expectRevert(IVigilSettlement.ZeroAddress.selector);
        settlement.setForwarder(address(0));
        vm.expectRevert(IVigilSettlement.ZeroAddress.selector);
        settlement.setTreasury(address(0));
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.InvalidBps.selector, 10_001));
        settlement.setReporterRewardBps(10_001);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.UnknownReportKind.selector, 3));
        settlement.setWorkflow(3, alice, bytes10("x"));
        vm.stopPrank();
    }

    // ================================================================
    // Settlement
    // ================================================================

    function test_SettleStoresResultFundsAndChainsBeacon() public {
        bytes32 beacon0 = settlement.beacon(networkId);
        assertEq(beacon0, keccak256(abi.encode("vigil.beacon", networkId)));
        (, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        bytes32 root = _root(leaves);

        IVigilFeed.EpochResult memory r = settlement.epochResult(networkId, 0);
        assertEq(r.resultRoot, root);
        assertEq(r.observationsCommitment, _observationsCommitment(_observations(0)));
        assertEq(r.totalReward, 500e18);
        assertEq(r.claimed, 0);
        assertEq(r.deviceCount, 2);
        assertEq(r.settledAt, block.timestamp);
        assertEq(settlement.latestEpoch(networkId), 0);
        assertEq(settlement.nextEpoch(networkId), 1);
        assertEq(settlement.budgetOf(networkId), 10_000e18 - 500e18);
        assertEq(settlement.beacon(networkId), keccak256(abi.encode(beacon0, root)));
    }

    function test_SettleEmitsEvent() public {
        _warpPastEpoch(0);
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(uint256(1)), 10);
        bytes32 next = keccak256(abi.encode(settlement.beacon(networkId), s.resultRoot));
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.EpochSettled(
            networkId, 0, s.resultRoot, s.observationsCommitment, 2, 10, 0, next
        );
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    function test_RevertIf_NotForwarder() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.UnauthorizedForwarder.selector, alice));
        vm.prank(alice);
        settlement.onReport(_metadata(SETTLE_NAME, workflowOwner), _settleBody(_settlement(0, bytes32(0), 0)));
    }

    function test_RevertIf_MetadataTooShort() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.InvalidMetadata.selector, 61));
        vm.prank(address(forwarder));
        settlement.onReport(new bytes(61), _settleBody(_settlement(0, bytes32(0), 0)));
    }

    function test_RevertIf_UnknownKind() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.UnknownReportKind.selector, 9));
        _deliver(SETTLE_NAME, abi.encode(uint8(9), bytes("")));
    }

    function test_RevertIf_WrongWorkflowOwner() public {
        _warpPastEpoch(0);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.UnauthorizedWorkflow.selector, 1, alice, SETTLE_NAME)
        );
        vm.prank(address(forwarder));
        settlement.onReport(_metadata(SETTLE_NAME, alice), _settleBody(_settlement(0, bytes32(0), 0)));
    }

    function test_RevertIf_WrongWorkflowName() public {
        _warpPastEpoch(0);
        // The fraud-slash workflow cannot send a settlement.
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilSettlement.UnauthorizedWorkflow.selector, 1, workflowOwner, SLASH_NAME
            )
        );
        _deliver(SLASH_NAME, _settleBody(_settlement(0, bytes32(0), 0)));
    }

    function test_RevertIf_WorkflowUnset() public {
        vm.prank(admin);
        settlement.setWorkflow(1, address(0), bytes10(0));
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.UnauthorizedWorkflow.selector, 1, address(0), bytes10(0))
        );
        vm.prank(address(forwarder));
        settlement.onReport(_metadata(bytes10(0), address(0)), _settleBody(_settlement(0, bytes32(0), 0)));
    }

    function test_RevertIf_UnknownNetwork() public {
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(0), 0);
        s.networkId = 99;
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.UnknownNetwork.selector, 99));
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    function test_RevertIf_EpochSettledTwice() public {
        _settleTwo(0, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.EpochOutOfOrder.selector, networkId, 0, 1));
        _deliver(SETTLE_NAME, _settleBody(_settlement(0, bytes32(uint256(5)), 0)));
    }

    function test_RevertIf_EpochSkipped() public {
        _warpPastEpoch(1);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.EpochOutOfOrder.selector, networkId, 1, 0));
        _deliver(SETTLE_NAME, _settleBody(_settlement(1, bytes32(0), 0)));
    }

    function test_RevertIf_EpochNotOver() public {
        uint256 endsAt = block.timestamp + EPOCH_LENGTH;
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.EpochNotOver.selector, networkId, 0, endsAt));
        _deliver(SETTLE_NAME, _settleBody(_settlement(0, bytes32(0), 0)));
    }

    // ----- timeout: an epoch nobody certified settles empty, so later epochs can settle -----

    function _timeout(uint64 epoch) internal view returns (IVigilSettlement.EpochSettlement memory s) {
        s = _settlement(epoch, bytes32(0), 0);
        s.observationsCommitment = bytes32(0);
        s.deviceCount = 0;
    }

    function test_TimeoutSettlesEmptyOnlyAfterTheTimeoutAndUnblocksLaterEpochs() public {
        uint256 genesis = registry.getNetwork(networkId).genesisTime;
        uint256 timeoutAt = genesis + (1 + uint256(settlement.SETTLEMENT_TIMEOUT_EPOCHS())) * EPOCH_LENGTH;
        _warpPastEpoch(0);
        assertFalse(settlement.settlementTimedOut(networkId));
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.EpochNotTimedOut.selector, networkId, 0, timeoutAt)
        );
        _deliver(SETTLE_NAME, _settleBody(_timeout(0)));

        vm.warp(timeoutAt);
        assertTrue(settlement.settlementTimedOut(networkId));
        uint256 budget = settlement.budgetOf(networkId);
        bytes32 beacon0 = settlement.beacon(networkId);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.EpochTimedOut(networkId, 0);
        _deliver(SETTLE_NAME, _settleBody(_timeout(0)));
        assertEq(settlement.nextEpoch(networkId), 1);
        assertEq(settlement.budgetOf(networkId), budget);
        assertEq(settlement.beacon(networkId), keccak256(abi.encode(beacon0, bytes32(0))));
        // The next epoch (long over by now) settles normally, in order.
        _settleTwo(1, 1, 1);
        assertEq(settlement.nextEpoch(networkId), 2);
        assertFalse(settlement.settlementTimedOut(networkId));
    }

    function test_RevertIf_TimeoutCarriesAnything() public {
        uint256 genesis = registry.getNetwork(networkId).genesisTime;
        vm.warp(genesis + (1 + uint256(settlement.SETTLEMENT_TIMEOUT_EPOCHS())) * EPOCH_LENGTH);
        IVigilSettlement.EpochSettlement[4] memory bad;
        for (uint256 i = 0; i < 4; ++i) {
            bad[i] = _timeout(0);
        }
        bad[0].totalReward = 1;
        bad[1].deviceCount = 1;
        bad[2].observationsCommitment = bytes32(uint256(7));
        bad[3].slashes = new IVigilSettlement.DeviceSlash[](1);
        bad[3].slashes[0] = IVigilSettlement.DeviceSlash(bytes32(uint256(9)), 1, 1, bytes32(uint256(8)));
        for (uint256 i = 0; i < 4; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.TimeoutNotEmpty.selector, networkId, 0));
            _deliver(SETTLE_NAME, _settleBody(bad[i]));
        }
        assertEq(settlement.nextEpoch(networkId), 0);
    }

    function test_SettlementTimedOutIsFalseForAnUnknownNetwork() public view {
        assertFalse(settlement.settlementTimedOut(99));
    }

    function test_RevertIf_RewardAboveBudgetPerEpoch() public {
        _warpPastEpoch(0);
        uint256 tooMuch = uint256(BUDGET_PER_EPOCH) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilSettlement.RewardExceedsBudgetPerEpoch.selector, tooMuch, BUDGET_PER_EPOCH
            )
        );
        _deliver(SETTLE_NAME, _settleBody(_settlement(0, bytes32(uint256(1)), tooMuch)));
    }

    function test_RevertIf_BudgetNotDeposited() public {
        vm.prank(networkOwner);
        settlement.withdrawBudget(networkId, 10_000e18 - 5, networkOwner);
        _warpPastEpoch(0);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.InsufficientBudget.selector, networkId, 6, 5));
        _deliver(SETTLE_NAME, _settleBody(_settlement(0, bytes32(uint256(1)), 6)));
    }

    function test_SettleAppliesSlashesOnceAndRefillsBudget() public {
        _registerDevice(DEVICE, alice);
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(uint256(1)), 100);
        s.slashes = new IVigilSettlement.DeviceSlash[](3);
        s.slashes[0] = IVigilSettlement.DeviceSlash(DEVICE, 4e18, 1, keccak256("evidence-1"));
        // Same evidence again: skipped.
        s.slashes[1] = IVigilSettlement.DeviceSlash(DEVICE, 4e18, 1, keccak256("evidence-1"));
        // Unknown device: skipped, nothing taken.
        s.slashes[2] = IVigilSettlement.DeviceSlash(keccak256("nobody"), 4e18, 1, keccak256("evidence-2"));
        s.totalSlash = 12e18;
        _warpPastEpoch(0);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashApplied(networkId, 0, DEVICE, 4e18, 1, keccak256("evidence-1"));
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId, 0, DEVICE, keccak256("evidence-1"), IVigilSettlement.SlashSkipReason.EvidenceApplied
        );
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId,
            0,
            keccak256("nobody"),
            keccak256("evidence-2"),
            IVigilSettlement.SlashSkipReason.NothingTaken
        );
        _deliver(SETTLE_NAME, _settleBody(s));

        assertEq(registry.getDevice(DEVICE).stake, STAKE_PER_DEVICE - 4e18);
        assertEq(registry.getDevice(DEVICE).slashed, 4e18);
        assertEq(settlement.budgetOf(networkId), 10_000e18 - 100 + 4e18);
        assertTrue(settlement.isEvidenceApplied(keccak256("evidence-1")));
        assertFalse(settlement.isEvidenceApplied(keccak256("evidence-2")));
        assertEq(settlement.epochResult(networkId, 0).totalSlash, 12e18);
    }

    function test_FraudSlashReportAppliesOnceThenSettlementSkips() public {
        _registerDevice(DEVICE, alice);
        IVigilSettlement.DeviceSlash memory slash =
            IVigilSettlement.DeviceSlash(DEVICE, 50e18, 2, keccak256("ev"));
        _deliver(SLASH_NAME, _slashBody(0, slash, networkId));
        // Clamped to the stake.
        assertEq(registry.getDevice(DEVICE).stake, 0);
        assertEq(registry.getDevice(DEVICE).slashed, STAKE_PER_DEVICE);
        assertEq(settlement.budgetOf(networkId), 10_000e18 + STAKE_PER_DEVICE);

        // The same evidence in the epoch settlement does not slash twice.
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(uint256(1)), 0);
        s.slashes = new IVigilSettlement.DeviceSlash[](1);
        s.slashes[0] = slash;
        _warpPastEpoch(0);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId, 0, DEVICE, keccak256("ev"), IVigilSettlement.SlashSkipReason.EvidenceApplied
        );
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    function test_SettleAppliesOneSlashPerDeviceWhateverTheEvidence() public {
        _registerDevice(DEVICE, alice);
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(uint256(1)), 0);
        s.slashes = new IVigilSettlement.DeviceSlash[](2);
        s.slashes[0] = IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("challenger-1"));
        // Another challenger's evidence of the same cheat in the same epoch: the penalty is not multiplied.
        s.slashes[1] = IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("challenger-2"));
        _warpPastEpoch(0);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashApplied(networkId, 0, DEVICE, 1e18, 1, keccak256("challenger-1"));
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId, 0, DEVICE, keccak256("challenger-2"), IVigilSettlement.SlashSkipReason.AlreadySlashed
        );
        _deliver(SETTLE_NAME, _settleBody(s));
        assertEq(registry.getDevice(DEVICE).slashed, 1e18);
        assertTrue(settlement.isSlashed(networkId, 0, DEVICE));
        assertFalse(settlement.isEvidenceApplied(keccak256("challenger-2")));
    }

    function test_FraudSlashResignedBundleSlashesOnce() public {
        _registerDevice(DEVICE, alice);
        // The same exchange signed again with another receive timestamp: a new evidence hash.
        _deliver(
            SLASH_NAME,
            _slashBody(0, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a")), networkId)
        );
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId, 0, DEVICE, keccak256("a'"), IVigilSettlement.SlashSkipReason.AlreadySlashed
        );
        _deliver(
            SLASH_NAME,
            _slashBody(0, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a'")), networkId)
        );
        assertEq(registry.getDevice(DEVICE).slashed, 1e18);
        assertEq(settlement.budgetOf(networkId), 10_000e18 + 1e18);
        assertTrue(settlement.isEvidenceApplied(keccak256("a")));
        assertFalse(settlement.isEvidenceApplied(keccak256("a'")));
    }

    function test_SettlementSkipsDeviceAlreadySlashedByFraudReport() public {
        _registerDevice(DEVICE, alice);
        _deliver(
            SLASH_NAME,
            _slashBody(0, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a")), networkId)
        );
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(uint256(1)), 0);
        s.slashes = new IVigilSettlement.DeviceSlash[](1);
        s.slashes[0] = IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("b"));
        _warpPastEpoch(0);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId, 0, DEVICE, keccak256("b"), IVigilSettlement.SlashSkipReason.AlreadySlashed
        );
        _deliver(SETTLE_NAME, _settleBody(s));
        assertEq(registry.getDevice(DEVICE).slashed, 1e18);
    }

    function test_FraudReportSkipsDeviceAlreadySlashedBySettlement() public {
        _registerDevice(DEVICE, alice);
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(uint256(1)), 0);
        s.slashes = new IVigilSettlement.DeviceSlash[](1);
        s.slashes[0] = IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a"));
        _warpPastEpoch(0);
        _deliver(SETTLE_NAME, _settleBody(s));
        // Epoch 0 has just closed: a report for it is admissible, but the device already paid for epoch 0.
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId, 0, DEVICE, keccak256("b"), IVigilSettlement.SlashSkipReason.AlreadySlashed
        );
        _deliver(
            SLASH_NAME,
            _slashBody(0, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("b")), networkId)
        );
        assertEq(registry.getDevice(DEVICE).slashed, 1e18);
    }

    function test_SlashesOfDifferentEpochsApplyEach() public {
        _registerDevice(DEVICE, alice);
        _deliver(
            SLASH_NAME,
            _slashBody(0, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a")), networkId)
        );
        vm.warp(block.timestamp + EPOCH_LENGTH);
        _deliver(
            SLASH_NAME,
            _slashBody(1, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("b")), networkId)
        );
        assertEq(registry.getDevice(DEVICE).slashed, 2e18);
        assertTrue(settlement.isSlashed(networkId, 0, DEVICE));
        assertTrue(settlement.isSlashed(networkId, 1, DEVICE));
        assertFalse(settlement.isSlashed(networkId, 2, DEVICE));
    }

    function test_FraudSlashForEpochJustClosedApplies() public {
        _registerDevice(DEVICE, alice);
        // The last second of epoch 1: epoch 0 is the one just closed.
        vm.warp(block.timestamp + 2 * uint256(EPOCH_LENGTH) - 1);
        _deliver(
            SLASH_NAME,
            _slashBody(0, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a")), networkId)
        );
        assertTrue(settlement.isSlashed(networkId, 0, DEVICE));
    }

    function test_FraudSlashOfStaleEpochIsSkipped() public {
        _registerDevice(DEVICE, alice);
        vm.warp(block.timestamp + 2 * uint256(EPOCH_LENGTH));
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId, 0, DEVICE, keccak256("a"), IVigilSettlement.SlashSkipReason.EpochNotAdmissible
        );
        _deliver(
            SLASH_NAME,
            _slashBody(0, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a")), networkId)
        );
        assertEq(registry.getDevice(DEVICE).slashed, 0);
        assertFalse(settlement.isSlashed(networkId, 0, DEVICE));
        assertFalse(settlement.isEvidenceApplied(keccak256("a")));
        assertEq(settlement.budgetOf(networkId), 10_000e18);
    }

    function test_FraudSlashOfFutureEpochIsSkipped() public {
        _registerDevice(DEVICE, alice);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId, 1, DEVICE, keccak256("a"), IVigilSettlement.SlashSkipReason.EpochNotAdmissible
        );
        _deliver(
            SLASH_NAME,
            _slashBody(1, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a")), networkId)
        );
        assertEq(registry.getDevice(DEVICE).slashed, 0);
    }

    function test_FraudSlashBeforeGenesisCountsAsEpochZero() public {
        IVigilRegistry.NetworkParams memory p = _params();
        p.genesisTime = uint64(block.timestamp + 5 * uint256(EPOCH_LENGTH));
        vm.prank(networkOwner);
        uint64 later = registry.registerNetwork(p);
        bytes32 device = keccak256("device-later");
        _mint(alice, STAKE_PER_DEVICE);
        vm.startPrank(alice);
        token.approve(address(registry), STAKE_PER_DEVICE);
        registry.registerDevice(later, device, alice);
        vm.stopPrank();
        _deliver(
            SLASH_NAME, _slashBody(1, IVigilSettlement.DeviceSlash(device, 1e18, 1, keccak256("b")), later)
        );
        assertFalse(settlement.isSlashed(later, 1, device));
        _deliver(
            SLASH_NAME, _slashBody(0, IVigilSettlement.DeviceSlash(device, 1e18, 1, keccak256("a")), later)
        );
        assertTrue(settlement.isSlashed(later, 0, device));
    }

    function test_SettlementSlashesOfALateEpochStillApply() public {
        // Kind 1 has no admissibility window: an epoch settled late (after downtime) still carries its slashes.
        _registerDevice(DEVICE, alice);
        vm.warp(block.timestamp + 10 * uint256(EPOCH_LENGTH));
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(uint256(1)), 0);
        s.slashes = new IVigilSettlement.DeviceSlash[](1);
        s.slashes[0] = IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a"));
        _deliver(SETTLE_NAME, _settleBody(s));
        assertTrue(settlement.isSlashed(networkId, 0, DEVICE));
    }

    function testFuzz_FraudSlashAppliesOnlyForCurrentOrPreviousEpoch(uint64 epoch, uint256 elapsed) public {
        _registerDevice(DEVICE, alice);
        elapsed = bound(elapsed, 0, 1_000 * uint256(EPOCH_LENGTH));
        epoch = uint64(bound(epoch, 0, 1_001));
        vm.warp(block.timestamp + elapsed);
        uint256 current = elapsed / EPOCH_LENGTH;
        _deliver(
            SLASH_NAME,
            _slashBody(epoch, IVigilSettlement.DeviceSlash(DEVICE, 1e18, 1, keccak256("a")), networkId)
        );
        bool admissible = epoch == current || uint256(epoch) + 1 == current;
        assertEq(settlement.isSlashed(networkId, epoch, DEVICE), admissible);
        assertEq(registry.getDevice(DEVICE).slashed, admissible ? 1e18 : 0);
    }

    function test_FraudSlashOfOtherNetworkDeviceIsSkipped() public {
        _registerDevice(DEVICE, alice);
        vm.prank(networkOwner);
        uint64 other = registry.registerNetwork(_params());
        IVigilSettlement.DeviceSlash memory slash =
            IVigilSettlement.DeviceSlash(DEVICE, 1e18, 2, keccak256("ev"));
        _deliver(SLASH_NAME, _slashBody(0, slash, other));
        assertEq(registry.getDevice(DEVICE).stake, STAKE_PER_DEVICE);
        assertFalse(settlement.isEvidenceApplied(keccak256("ev")));
    }

    function test_RevertIf_FraudSlashUnknownNetwork() public {
        IVigilSettlement.DeviceSlash memory slash =
            IVigilSettlement.DeviceSlash(DEVICE, 1, 2, keccak256("ev"));
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.UnknownNetwork.selector, 42));
        _deliver(SLASH_NAME, _slashBody(0, slash, 42));
    }

    function test_RevertIf_FraudSlashFromSettlementWorkflow() public {
        IVigilSettlement.DeviceSlash memory slash =
            IVigilSettlement.DeviceSlash(DEVICE, 1, 2, keccak256("ev"));
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilSettlement.UnauthorizedWorkflow.selector, 2, workflowOwner, SETTLE_NAME
            )
        );
        _deliver(SETTLE_NAME, _slashBody(0, slash, networkId));
    }

    // ================================================================
    // Feed views
    // ================================================================

    function test_RevertIf_LatestEpochNoneSettled() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilFeed.NoEpochSettled.selector, networkId));
        settlement.latestEpoch(networkId);
    }

    function test_RevertIf_EpochResultNotSettled() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilFeed.EpochNotSettled.selector, networkId, 3));
        settlement.epochResult(networkId, 3);
    }

    function test_VerifyLine() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 3, 4);
        bytes32[] memory proof = _proof(leaves, 0);
        assertTrue(settlement.verifyLine(networkId, 0, lines[0], proof));
        assertEq(settlement.lineLeaf(lines[0]), leaves[0]);
        // Wrong proof, tampered line, wrong epoch, unsettled epoch.
        assertFalse(settlement.verifyLine(networkId, 0, lines[1], proof));
        lines[0].reward += 1;
        assertFalse(settlement.verifyLine(networkId, 0, lines[0], proof));
        lines[0].reward -= 1;
        assertFalse(settlement.verifyLine(networkId, 1, lines[0], proof));
        lines[0].epoch = 1;
        assertFalse(settlement.verifyLine(networkId, 1, lines[0], proof));
    }

    // ================================================================
    // Budget
    // ================================================================

    function test_DepositAndWithdrawBudget() public {
        _mint(alice, 5e18);
        vm.startPrank(alice);
        token.approve(address(settlement), 5e18);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.BudgetDeposited(networkId, alice, 5e18, 10_005e18);
        settlement.depositBudget(networkId, 5e18);
        vm.stopPrank();
        vm.prank(networkOwner);
        settlement.withdrawBudget(networkId, 5e18, bob);
        assertEq(token.balanceOf(bob), 5e18);
        assertEq(settlement.budgetOf(networkId), 10_000e18);
    }

    function test_RevertIf_DepositInvalid() public {
        vm.expectRevert(IVigilSettlement.ZeroAmount.selector);
        settlement.depositBudget(networkId, 0);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.UnknownNetwork.selector, 77));
        settlement.depositBudget(77, 1);
    }

    function test_RevertIf_WithdrawInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NotNetworkOwner.selector, networkId, alice));
        vm.prank(alice);
        settlement.withdrawBudget(networkId, 1, alice);
        vm.startPrank(networkOwner);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.UnknownNetwork.selector, 77));
        settlement.withdrawBudget(77, 1, alice);
        vm.expectRevert(IVigilSettlement.ZeroAddress.selector);
        settlement.withdrawBudget(networkId, 1, address(0));
        vm.expectRevert(IVigilSettlement.ZeroAmount.selector);
        settlement.withdrawBudget(networkId, 0, alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilSettlement.InsufficientBudget.selector, networkId, 10_001e18, 10_000e18
            )
        );
        settlement.withdrawBudget(networkId, 10_001e18, alice);
        vm.stopPrank();
    }

    // ================================================================
    // Claims
    // ================================================================

    function test_ClaimPaysOwnerOnce() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        bytes32[] memory proof = _proof(leaves, 0);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.Claimed(networkId, 0, lines[0].deviceId, alice, alice, 300e18);
        vm.prank(alice);
        settlement.claim(networkId, 0, lines[0], proof);
        assertEq(token.balanceOf(alice), 300e18);
        assertTrue(settlement.isClaimed(networkId, 0, lines[0].deviceId));
        assertEq(settlement.epochResult(networkId, 0).claimed, 300e18);

        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.AlreadyClaimed.selector, networkId, 0, lines[0].deviceId)
        );
        vm.prank(alice);
        settlement.claim(networkId, 0, lines[0], proof);
    }

    /// A third party cannot claim a line (even to pay its owner): that would spend the owner's one claim, and with
    /// it the `claimAndCall` that bridges the reward.
    function test_RevertIf_ClaimNotOwner() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NotLineOwner.selector, alice, bob));
        vm.prank(bob);
        settlement.claim(networkId, 0, lines[0], _proof(leaves, 0));
        assertFalse(settlement.isClaimed(networkId, 0, lines[0].deviceId));

        // The owner's bridge path is still open.
        RecordingHook hook = new RecordingHook();
        vm.prank(alice);
        settlement.claimAndCall(networkId, 0, lines[0], _proof(leaves, 0), address(hook), "");
        assertEq(token.balanceOf(address(hook)), 300e18);
        assertEq(hook.claimant(), alice);
    }

    function test_ClaimsOfOneDeviceAcrossEpochsAreIndependent() public {
        (IVigilFeed.DeviceLine[] memory lines0, bytes32[] memory leaves0) = _settleTwo(0, 1e18, 2e18);
        (IVigilFeed.DeviceLine[] memory lines1, bytes32[] memory leaves1) = _settleTwo(1, 3e18, 4e18);
        assertEq(lines0[0].deviceId, lines1[0].deviceId);
        vm.prank(alice);
        settlement.claim(networkId, 1, lines1[0], _proof(leaves1, 0));
        assertTrue(settlement.isClaimed(networkId, 1, lines1[0].deviceId));
        assertFalse(settlement.isClaimed(networkId, 0, lines0[0].deviceId));
        vm.prank(alice);
        settlement.claim(networkId, 0, lines0[0], _proof(leaves0, 0));
        assertTrue(settlement.isClaimed(networkId, 0, lines0[0].deviceId));
        assertFalse(settlement.isClaimed(networkId, 256, lines0[0].deviceId));
        assertFalse(settlement.isClaimed(networkId, 1, lines1[1].deviceId));
        assertEq(token.balanceOf(alice), 4e18);
    }

    function test_ClaimToReceiver() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        vm.prank(bob);
        settlement.claimTo(networkId, 0, lines[1], _proof(leaves, 1), alice);
        assertEq(token.balanceOf(alice), 200e18);
        assertEq(token.balanceOf(bob), 0);
    }

    function test_RevertIf_ClaimToNotOwner() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NotLineOwner.selector, bob, alice));
        vm.prank(alice);
        settlement.claimTo(networkId, 0, lines[1], _proof(leaves, 1), alice);
    }

    function test_RevertIf_ClaimToZeroReceiver() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        vm.expectRevert(IVigilSettlement.ZeroAddress.selector);
        vm.prank(bob);
        settlement.claimTo(networkId, 0, lines[1], _proof(leaves, 1), address(0));
    }

    function test_RevertIf_ClaimInvalidProof() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        lines[0].reward = 400e18;
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.InvalidProof.selector, networkId, 0, lines[0].deviceId)
        );
        vm.prank(alice);
        settlement.claim(networkId, 0, lines[0], _proof(leaves, 0));
    }

    function test_RevertIf_ClaimLineMismatch() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.LineMismatch.selector, networkId, 0));
        vm.prank(alice);
        settlement.claim(networkId, 1, lines[0], _proof(leaves, 0));
    }

    function test_RevertIf_ClaimUnsettledEpoch() public {
        IVigilFeed.DeviceLine memory line = _line(0, DEVICE, alice, 1);
        vm.expectRevert(abi.encodeWithSelector(IVigilFeed.EpochNotSettled.selector, networkId, 0));
        vm.prank(alice);
        settlement.claim(networkId, 0, line, new bytes32[](0));
    }

    function test_RevertIf_ClaimZeroReward() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 0, 200e18);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.NothingToClaim.selector, networkId, 0, lines[0].deviceId)
        );
        vm.prank(alice);
        settlement.claim(networkId, 0, lines[0], _proof(leaves, 0));
    }

    function test_RevertIf_ClaimExceedsFunded() public {
        // A (faulty) root whose lines add up to more than the funded total cannot pay out more than funded.
        IVigilFeed.DeviceLine[] memory lines = new IVigilFeed.DeviceLine[](2);
        lines[0] = _line(0, keccak256("device-a"), alice, 300);
        lines[1] = _line(0, keccak256("device-b"), bob, 300);
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = _leaf(lines[0]);
        leaves[1] = _leaf(lines[1]);
        _warpPastEpoch(0);
        _deliver(SETTLE_NAME, _settleBody(_settlement(0, _root(leaves), 500)));
        vm.prank(alice);
        settlement.claim(networkId, 0, lines[0], _proof(leaves, 0));
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.ClaimExceedsFunded.selector, 600, 500));
        vm.prank(bob);
        settlement.claim(networkId, 0, lines[1], _proof(leaves, 1));
    }

    function test_ClaimAndCallPaysHookAndCallsIt() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        RecordingHook hook = new RecordingHook();
        bytes memory data = abi.encode(uint64(16015286601757825753), bob);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.ClaimHookCalled(address(hook), keccak256(data));
        vm.prank(alice);
        bytes32 ref = settlement.claimAndCall(networkId, 0, lines[0], _proof(leaves, 0), address(hook), data);
        assertEq(ref, keccak256(data));
        assertEq(token.balanceOf(address(hook)), 300e18);
        assertEq(hook.claimant(), alice);
        assertEq(hook.amount(), 300e18);
        assertEq(hook.data(), data);
    }

    function test_RevertIf_ClaimAndCallNotOwner() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        RecordingHook hook = new RecordingHook();
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NotLineOwner.selector, alice, bob));
        vm.prank(bob);
        settlement.claimAndCall(networkId, 0, lines[0], _proof(leaves, 0), address(hook), "");
    }

    function test_RevertIf_ClaimAndCallZeroHook() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        vm.expectRevert(IVigilSettlement.ZeroAddress.selector);
        vm.prank(alice);
        settlement.claimAndCall(networkId, 0, lines[0], _proof(leaves, 0), address(0), "");
    }

    function test_RevertIf_ClaimAndCallHookReenters() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        ReentrantHook hook = new ReentrantHook(settlement);
        hook.arm(lines[1], _proof(leaves, 1));
        vm.expectRevert(bytes4(keccak256("ReentrancyGuardReentrantCall()")));
        vm.prank(alice);
        settlement.claimAndCall(networkId, 0, lines[0], _proof(leaves, 0), address(hook), "");
    }

    function testFuzz_ClaimPaysExactlyTheLineReward(uint256 rewardA, uint256 rewardB, address receiver)
        public
    {
        rewardA = bound(rewardA, 1, BUDGET_PER_EPOCH / 2);
        rewardB = bound(rewardB, 1, BUDGET_PER_EPOCH / 2);
        // The token refuses transfers to itself (InvalidRecipient).
        vm.assume(
            receiver != address(0) && receiver != address(settlement) && receiver != alice
                && receiver != address(token)
        );
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, rewardA, rewardB);
        uint256 before = token.balanceOf(receiver);
        vm.prank(alice);
        settlement.claimTo(networkId, 0, lines[0], _proof(leaves, 0), receiver);
        assertEq(token.balanceOf(receiver) - before, rewardA);
        vm.prank(bob);
        settlement.claim(networkId, 0, lines[1], _proof(leaves, 1));
        assertEq(settlement.epochResult(networkId, 0).claimed, rewardA + rewardB);
    }

    function testFuzz_SettleSequenceChainsBeacons(uint8 epochs, bytes32 seed) public {
        epochs = uint8(bound(epochs, 1, 8));
        bytes32 b = settlement.beacon(networkId);
        for (uint64 e = 0; e < epochs; ++e) {
            bytes32 root = keccak256(abi.encode(seed, e));
            _warpPastEpoch(e);
            _deliver(SETTLE_NAME, _settleBody(_settlement(e, root, 1)));
            b = keccak256(abi.encode(b, root));
            assertEq(settlement.beacon(networkId), b);
        }
        assertEq(settlement.latestEpoch(networkId), epochs - 1);
        assertEq(settlement.budgetOf(networkId), 10_000e18 - epochs);
    }

    // ================================================================
    // Oracle equivocation
    // ================================================================

    function _vote(bytes32 root) internal view returns (IVigilSettlement.ResultVote memory) {
        return IVigilSettlement.ResultVote(networkId, 4, root, keccak256("obs"));
    }

    function _signVote(uint256 key, IVigilSettlement.ResultVote memory vote)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.resultVoteDigest(vote));
        return abi.encodePacked(r, s, v);
    }

    /// Commits `reporter`'s commitment to the evidence, mines a block, then reveals as `reporter`.
    function _commitAndSlash(
        address reporter,
        IVigilSettlement.ResultVote memory a,
        bytes memory sigA,
        IVigilSettlement.ResultVote memory b,
        bytes memory sigB
    ) internal {
        bytes32 salt = keccak256(abi.encode("salt", reporter));
        bytes32 reporterCommitment = settlement.equivocationCommitment(reporter, sigA, sigB, salt);
        vm.prank(reporter);
        settlement.commitEquivocation(reporterCommitment);
        vm.roll(block.number + 1);
        vm.prank(reporter);
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
    }

    function test_ResultVoteDigestIsEIP712() public view {
        IVigilSettlement.ResultVote memory vote = _vote(bytes32(uint256(1)));
        bytes32 domain = keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("Vigil"),
                keccak256("1"),
                block.chainid,
                address(settlement)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "ResultVote(uint64 networkId,uint64 epoch,bytes32 resultRoot,bytes32 observationsCommitment)"
                ),
                vote.networkId,
                vote.epoch,
                vote.resultRoot,
                vote.observationsCommitment
            )
        );
        assertEq(
            settlement.resultVoteDigest(vote), keccak256(abi.encodePacked("\x19\x01", domain, structHash))
        );
    }

    function test_SlashEquivocationPaysReporterAndTreasury() public {
        (address signer, uint256 key) = makeAddrAndKey("oracle");
        _registerOperator(signer, bob, 200e18);
        IVigilSettlement.ResultVote memory a = _vote(bytes32(uint256(1)));
        IVigilSettlement.ResultVote memory b = _vote(bytes32(uint256(2)));
        address reporter = makeAddr("reporter");
        bytes memory sigA = _signVote(key, a);
        bytes memory sigB = _signVote(key, b);
        bytes32 salt = keccak256("salt");
        bytes32 commitment = settlement.equivocationCommitment(reporter, sigA, sigB, salt);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.EquivocationCommitted(commitment, reporter, block.number);
        vm.prank(reporter);
        settlement.commitEquivocation(commitment);
        assertEq(settlement.equivocationCommittedAt(commitment), block.number);
        vm.roll(block.number + 1);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.OracleSlashed(signer, networkId, 4, 200e18, reporter, 100e18);
        vm.prank(reporter);
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
        assertEq(settlement.equivocationCommittedAt(commitment), 0);
        assertEq(token.balanceOf(reporter), 100e18);
        assertEq(token.balanceOf(treasury), 100e18);
        IVigilRegistry.Operator memory op = registry.getOperator(signer);
        assertEq(op.stake, 0);
        assertEq(op.slashed, 200e18);
        assertFalse(registry.isActiveSigner(signer));

        // Nothing left: a second proof does not pay again.
        vm.prank(reporter);
        settlement.commitEquivocation(commitment);
        vm.roll(block.number + 1);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NothingToSlash.selector, signer));
        vm.prank(reporter);
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
    }

    function test_CommitmentFormula() public view {
        bytes memory sigA = hex"0102";
        bytes memory sigB = hex"0304";
        bytes32 salt = keccak256("salt");
        assertEq(
            settlement.equivocationCommitment(alice, sigA, sigB, salt),
            keccak256(abi.encode(alice, keccak256(sigA), keccak256(sigB), salt))
        );
    }

    function _equivocation(uint128 stake)
        internal
        returns (
            address signer,
            IVigilSettlement.ResultVote memory a,
            bytes memory sigA,
            IVigilSettlement.ResultVote memory b,
            bytes memory sigB
        )
    {
        uint256 key;
        (signer, key) = makeAddrAndKey("oracle");
        _registerOperator(signer, bob, stake);
        a = _vote(bytes32(uint256(1)));
        b = _vote(bytes32(uint256(2)));
        sigA = _signVote(key, a);
        sigB = _signVote(key, b);
    }

    function test_RevertIf_SlashEquivocationWithoutCommitment() public {
        (
            ,
            IVigilSettlement.ResultVote memory a,
            bytes memory sigA,
            IVigilSettlement.ResultVote memory b,
            bytes memory sigB
        ) = _equivocation(200e18);
        address reporter = makeAddr("reporter");
        bytes32 salt = keccak256("salt");
        bytes32 commitment = settlement.equivocationCommitment(reporter, sigA, sigB, salt);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NoCommitment.selector, reporter, commitment));
        vm.prank(reporter);
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
    }

    function test_RevertIf_SlashEquivocationInTheCommitBlock() public {
        (
            ,
            IVigilSettlement.ResultVote memory a,
            bytes memory sigA,
            IVigilSettlement.ResultVote memory b,
            bytes memory sigB
        ) = _equivocation(200e18);
        address reporter = makeAddr("reporter");
        bytes32 salt = keccak256("salt");
        bytes32 commitment = settlement.equivocationCommitment(reporter, sigA, sigB, salt);
        vm.startPrank(reporter);
        settlement.commitEquivocation(commitment);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilSettlement.CommitmentTooRecent.selector, commitment, block.number, block.number
            )
        );
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
        vm.stopPrank();
    }

    /// A commitment is bound to its committer: the same salt revealed by anyone else matches nothing.
    function test_RevertIf_SlashEquivocationWithSomeoneElsesCommitment() public {
        (
            ,
            IVigilSettlement.ResultVote memory a,
            bytes memory sigA,
            IVigilSettlement.ResultVote memory b,
            bytes memory sigB
        ) = _equivocation(200e18);
        address reporter = makeAddr("reporter");
        address copier = makeAddr("copier");
        bytes32 salt = keccak256("salt");
        bytes32 commitment = settlement.equivocationCommitment(reporter, sigA, sigB, salt);
        vm.prank(reporter);
        settlement.commitEquivocation(commitment);
        // The copier also sends the very same commitment: it keeps the reporter's block and gives it nothing.
        vm.roll(block.number + 1);
        vm.prank(copier);
        settlement.commitEquivocation(commitment);
        assertEq(settlement.equivocationCommittedAt(commitment), block.number - 1);
        vm.roll(block.number + 1);
        bytes32 copierCommitment = settlement.equivocationCommitment(copier, sigA, sigB, salt);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.NoCommitment.selector, copier, copierCommitment)
        );
        vm.prank(copier);
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
    }

    /// A front-runner copying the reveal (same calldata, ahead of it in the block) gets nothing; the committer's
    /// reveal then slashes and pays the committer.
    function test_FrontRunnerCopyingTheRevealGetsNothing() public {
        (
            address signer,
            IVigilSettlement.ResultVote memory a,
            bytes memory sigA,
            IVigilSettlement.ResultVote memory b,
            bytes memory sigB
        ) = _equivocation(200e18);
        address reporter = makeAddr("reporter");
        address copier = makeAddr("copier");
        bytes32 salt = keccak256("salt");
        bytes32 reporterCommitment = settlement.equivocationCommitment(reporter, sigA, sigB, salt);
        vm.prank(reporter);
        settlement.commitEquivocation(reporterCommitment);
        vm.roll(block.number + 1);
        // Seeing the reveal, the copier commits for itself and replays the reveal in the same block: too late.
        bytes32 copierCommitment = settlement.equivocationCommitment(copier, sigA, sigB, salt);
        vm.startPrank(copier);
        settlement.commitEquivocation(copierCommitment);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilSettlement.CommitmentTooRecent.selector, copierCommitment, block.number, block.number
            )
        );
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
        vm.stopPrank();
        vm.prank(reporter);
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
        assertEq(token.balanceOf(copier), 0);
        assertEq(token.balanceOf(reporter), 100e18);
        assertEq(registry.getOperator(signer).stake, 0);
        // In the next block the copier's own commitment is old enough, but nothing is left to take.
        vm.roll(block.number + 1);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NothingToSlash.selector, signer));
        vm.prank(copier);
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
        assertEq(token.balanceOf(copier), 0);
    }

    /// Commit-reveal costs one block; even the shortest unbonding delay governance may set leaves it ample room:
    /// an operator that equivocates and exits at once is still slashed by a reveal one block later.
    function test_CommitRevealFitsTheShortestUnbonding() public {
        uint64 shortest = registry.MIN_UNBONDING_DELAY();
        vm.prank(admin);
        registry.setUnbondingDelay(shortest);
        (
            address signer,
            IVigilSettlement.ResultVote memory a,
            bytes memory sigA,
            IVigilSettlement.ResultVote memory b,
            bytes memory sigB
        ) = _equivocation(200e18);
        vm.prank(bob);
        registry.requestOperatorExit(signer);
        bytes32 salt = keccak256("salt");
        bytes32 aliceCommitment = settlement.equivocationCommitment(alice, sigA, sigB, salt);
        vm.prank(alice);
        settlement.commitEquivocation(aliceCommitment);
        vm.roll(block.number + 1);
        vm.warp(block.timestamp + 12 seconds);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilRegistry.StillUnbonding.selector,
                registry.getOperator(signer).exitAvailableAt,
                uint64(block.timestamp)
            )
        );
        registry.withdrawOperatorStake(signer);
        vm.prank(alice);
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
        assertEq(registry.getOperator(signer).stake, 0);
        assertEq(token.balanceOf(alice), 100e18);
    }

    function test_SlashEquivocationOnCommitmentDifference() public {
        (address signer, uint256 key) = makeAddrAndKey("oracle");
        _registerOperator(signer, bob, 200e18);
        IVigilSettlement.ResultVote memory a = _vote(bytes32(uint256(1)));
        IVigilSettlement.ResultVote memory b = _vote(bytes32(uint256(1)));
        b.observationsCommitment = keccak256("other");
        _commitAndSlash(alice, a, _signVote(key, a), b, _signVote(key, b));
        assertEq(registry.getOperator(signer).stake, 0);
    }

    function test_RevertIf_VotesNotConflicting() public {
        (, uint256 key) = makeAddrAndKey("oracle");
        IVigilSettlement.ResultVote memory a = _vote(bytes32(uint256(1)));
        bytes memory sig = _signVote(key, a);
        vm.expectRevert(IVigilSettlement.VotesNotConflicting.selector);
        settlement.slashEquivocation(a, sig, a, sig, bytes32(0));
        IVigilSettlement.ResultVote memory b = _vote(bytes32(uint256(2)));
        b.epoch = 5;
        bytes memory sigB = _signVote(key, b);
        vm.expectRevert(IVigilSettlement.VotesNotConflicting.selector);
        settlement.slashEquivocation(a, sig, b, sigB, bytes32(0));
    }

    function test_RevertIf_EquivocationSignersDiffer() public {
        (address signerA, uint256 keyA) = makeAddrAndKey("oracle-a");
        (address signerB, uint256 keyB) = makeAddrAndKey("oracle-b");
        IVigilSettlement.ResultVote memory a = _vote(bytes32(uint256(1)));
        IVigilSettlement.ResultVote memory b = _vote(bytes32(uint256(2)));
        bytes memory sigA = _signVote(keyA, a);
        bytes memory sigB = _signVote(keyB, b);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.SignerMismatch.selector, signerA, signerB));
        settlement.slashEquivocation(a, sigA, b, sigB, bytes32(0));
    }

    function test_RevertIf_EquivocationUnregisteredSigner() public {
        (address signer, uint256 key) = makeAddrAndKey("stranger");
        IVigilSettlement.ResultVote memory a = _vote(bytes32(uint256(1)));
        IVigilSettlement.ResultVote memory b = _vote(bytes32(uint256(2)));
        bytes memory sigA = _signVote(key, a);
        bytes memory sigB = _signVote(key, b);
        bytes32 salt = keccak256("salt");
        bytes32 aliceCommitment = settlement.equivocationCommitment(alice, sigA, sigB, salt);
        vm.prank(alice);
        settlement.commitEquivocation(aliceCommitment);
        vm.roll(block.number + 1);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NothingToSlash.selector, signer));
        vm.prank(alice);
        settlement.slashEquivocation(a, sigA, b, sigB, salt);
    }

    function test_RevertIf_EquivocationBadSignature() public {
        IVigilSettlement.ResultVote memory a = _vote(bytes32(uint256(1)));
        IVigilSettlement.ResultVote memory b = _vote(bytes32(uint256(2)));
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 3));
        settlement.slashEquivocation(a, hex"010203", b, hex"010203", bytes32(0));
    }

    function test_SlashEquivocationWhileUnbonding() public {
        (address signer, uint256 key) = makeAddrAndKey("oracle");
        _registerOperator(signer, bob, 200e18);
        vm.prank(bob);
        registry.requestOperatorExit(signer);
        IVigilSettlement.ResultVote memory a = _vote(bytes32(uint256(1)));
        IVigilSettlement.ResultVote memory b = _vote(bytes32(uint256(2)));
        _commitAndSlash(alice, a, _signVote(key, a), b, _signVote(key, b));
        vm.warp(block.timestamp + UNBONDING);
        uint256 before = token.balanceOf(bob);
        registry.withdrawOperatorStake(signer);
        assertEq(token.balanceOf(bob), before);
    }

    function testFuzz_EquivocationSplit(uint16 bps, uint128 stake) public {
        bps = uint16(bound(bps, 0, 10_000));
        stake = uint128(bound(stake, MIN_OPERATOR_STAKE, 1e30));
        vm.prank(admin);
        settlement.setReporterRewardBps(bps);
        (address signer, uint256 key) = makeAddrAndKey("oracle");
        _registerOperator(signer, bob, stake);
        IVigilSettlement.ResultVote memory a = _vote(bytes32(uint256(1)));
        IVigilSettlement.ResultVote memory b = _vote(bytes32(uint256(2)));
        address reporter = makeAddr("reporter");
        uint256 treasuryBefore = token.balanceOf(treasury);
        bytes memory sigA = _signVote(key, a);
        bytes memory sigB = _signVote(key, b);
        _commitAndSlash(reporter, a, sigA, b, sigB);
        assertEq(token.balanceOf(reporter), uint256(stake) * bps / 10_000);
        assertEq(token.balanceOf(reporter) + token.balanceOf(treasury) - treasuryBefore, stake);
    }
}
