// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGuardianPausable} from "../../src/interfaces/IGuardianPausable.sol";
import {IVigilRegistry} from "../../src/interfaces/IVigilRegistry.sol";
import {IVigilSettlement} from "../../src/interfaces/IVigilSettlement.sol";
import {GovernanceFixture} from "./GovernanceFixture.sol";
import {KeystoneForwarder} from "@chainlink/contracts/src/v0.8/keystone/KeystoneForwarder.sol";
import {Ownable} from "@openzeppelin/contracts@5.3.0/access/Ownable.sol";
import {IGovernor} from "@openzeppelin/contracts@5.3.0/governance/IGovernor.sol";
import {TimelockController} from "@openzeppelin/contracts@5.3.0/governance/TimelockController.sol";

/// Proposals through the governor and the timelock change registry, settlement and forwarder configuration; the
/// old owner and any other key cannot.
contract GovernanceTest is GovernanceFixture {
    address internal stranger = makeAddr("stranger");

    function test_TimelockOwnsEverythingAfterHandover() public view {
        assertEq(registry.owner(), address(timelock));
        assertEq(settlement.owner(), address(timelock));
        assertEq(forwarder.owner(), address(timelock));
        assertEq(registry.pendingOwner(), address(0));
        assertEq(settlement.pendingOwner(), address(0));
        assertEq(governor.timelock(), address(timelock));
        assertEq(address(governor.token()), address(token));
        // The timelock has no admin but itself: nobody can grant a role around the governor.
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(this)));
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), admin));
        assertTrue(timelock.hasRole(timelock.PROPOSER_ROLE(), address(governor)));
        assertTrue(timelock.hasRole(timelock.EXECUTOR_ROLE(), address(0)));
        assertEq(governor.CLOCK_MODE(), "mode=blocknumber&from=default");
        assertEq(governor.clock(), block.number);
    }

    function test_ProposalChangesRegistryParameter() public {
        _govern(
            address(registry),
            abi.encodeCall(registry.setUnbondingDelay, (14 days)),
            "Unbonding delay 14 days"
        );
        assertEq(registry.unbondingDelay(), 14 days);
        _govern(address(registry), abi.encodeCall(registry.setMinOperatorStake, (500e18)), "Min stake 500");
        assertEq(registry.minOperatorStake(), 500e18);
    }

    function test_ProposalChangesSettlementParameters() public {
        address newForwarder = makeAddr("newForwarder");
        address newTreasury = makeAddr("newTreasury");
        address[] memory targets = new address[](4);
        bytes[] memory calls = new bytes[](4);
        for (uint256 i = 0; i < 4; ++i) {
            targets[i] = address(settlement);
        }
        calls[0] = abi.encodeCall(settlement.setForwarder, (newForwarder));
        calls[1] = abi.encodeCall(settlement.setTreasury, (newTreasury));
        calls[2] = abi.encodeCall(settlement.setReporterRewardBps, (2_500));
        calls[3] = abi.encodeCall(settlement.setWorkflow, (1, alice, bytes10("new-settle")));
        _passAndExecute(targets, calls, "Repoint the settlement");
        assertEq(settlement.forwarder(), newForwarder);
        assertEq(settlement.treasury(), newTreasury);
        assertEq(settlement.reporterRewardBps(), 2_500);
        assertEq(settlement.workflow(1).owner, alice);
        assertEq(settlement.workflow(1).name, bytes10("new-settle"));
    }

    function test_ProposalChangesDonMembership() public {
        // Replace the DON: four new signers under the same (don id, config version).
        uint256[] memory newKeys = new uint256[](4);
        address[] memory newSigners = new address[](4);
        for (uint256 i = 0; i < 4; ++i) {
            (newSigners[i], newKeys[i]) = makeAddrAndKey(string.concat("new-don-", vm.toString(i)));
        }
        _govern(
            address(forwarder),
            abi.encodeCall(forwarder.setConfig, (DON_ID, CONFIG_VERSION, F, newSigners)),
            "New DON membership"
        );

        _warpPastEpoch(0);
        bytes memory raw = _rawReport(
            keccak256("exec-0"),
            SETTLE_NAME,
            workflowOwner,
            _settleBody(_settlement(0, keccak256("root-0"), 100e18))
        );
        bytes memory context = abi.encodePacked(bytes32(uint256(1)), bytes32(uint256(2)), bytes32(uint256(3)));
        // The old DON's signatures no longer count.
        vm.expectRevert(abi.encodeWithSelector(KeystoneForwarder.InvalidSigner.selector, signers[0]));
        forwarder.report(address(settlement), raw, context, _signAll(_firstKeys(F + 1), raw, context));
        uint256[] memory two = new uint256[](2);
        two[0] = newKeys[0];
        two[1] = newKeys[1];
        forwarder.report(address(settlement), raw, context, _signAll(two, raw, context));
        assertEq(settlement.nextEpoch(networkId), 1);
    }

    function test_RevertIf_ExecuteBeforeTimelockDelay() public {
        (address[] memory targets, bytes[] memory calls) =
            _one(address(registry), abi.encodeCall(registry.setUnbondingDelay, (3 days)));
        string memory description = "Unbonding delay 3 days";
        _propose(targets, calls, description);
        _queue(targets, calls, description);
        bytes32 id = _operationId(targets, calls, description);
        assertEq(timelock.getTimestamp(id), block.timestamp + TIMELOCK_DELAY);

        vm.warp(block.timestamp + TIMELOCK_DELAY - 1);
        bytes32 readyState = bytes32(1 << uint8(TimelockController.OperationState.Ready));
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, readyState
            )
        );
        _execute(targets, calls, description);
        // Nor straight through the timelock (its executor role is open, its delay is not).
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, readyState
            )
        );
        timelock.executeBatch(
            targets, new uint256[](1), calls, 0, bytes20(address(governor)) ^ keccak256(bytes(description))
        );
        assertEq(registry.unbondingDelay(), UNBONDING);

        vm.warp(block.timestamp + 1);
        _execute(targets, calls, description);
        assertEq(registry.unbondingDelay(), 3 days);
    }

    function test_RevertIf_ExecuteWithoutQueue() public {
        (address[] memory targets, bytes[] memory calls) =
            _one(address(registry), abi.encodeCall(registry.setUnbondingDelay, (3 days)));
        _propose(targets, calls, "not queued");
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        vm.expectRevert();
        _execute(targets, calls, "not queued");
    }

    function test_RevertIf_ProposalDefeatedWithoutQuorum() public {
        (address[] memory targets, bytes[] memory calls) =
            _one(address(registry), abi.encodeCall(registry.setUnbondingDelay, (3 days)));
        vm.prank(voter);
        uint256 id = governor.propose(targets, new uint256[](1), calls, "nobody votes");
        vm.roll(block.number + VOTING_DELAY + VOTING_PERIOD + 1);
        assertEq(uint8(governor.state(id)), uint8(IGovernor.ProposalState.Defeated));
        vm.expectRevert();
        _queue(targets, calls, "nobody votes");
    }

    function test_ScheduleDirectlyOnTimelockNeedsProposerRole() public {
        bytes32 role = timelock.PROPOSER_ROLE();
        vm.expectRevert(
            abi.encodeWithSignature("AccessControlUnauthorizedAccount(address,bytes32)", admin, role)
        );
        vm.prank(admin);
        timelock.schedule(
            address(registry), 0, abi.encodeCall(registry.setUnbondingDelay, (1 days)), 0, 0, TIMELOCK_DELAY
        );
    }

    function test_GovernorSettingsOnlyThroughGovernance() public {
        vm.expectRevert(abi.encodeWithSelector(IGovernor.GovernorOnlyExecutor.selector, admin));
        vm.prank(admin);
        governor.setVotingPeriod(1);
        _govern(address(governor), abi.encodeCall(governor.setVotingPeriod, (100)), "Voting period 100");
        assertEq(governor.votingPeriod(), 100);
    }

    function test_TimelockDelayOnlyThroughGovernance() public {
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockUnauthorizedCaller.selector, admin));
        vm.prank(admin);
        timelock.updateDelay(0);
        _govern(address(timelock), abi.encodeCall(timelock.updateDelay, (3 days)), "Delay 3 days");
        assertEq(timelock.getMinDelay(), 3 days);
    }

    function test_OwnershipMovesOnlyByProposalAndTwoSteps() public {
        address next = makeAddr("nextTimelock");
        _govern(address(registry), abi.encodeCall(registry.transferOwnership, (next)), "Move registry");
        assertEq(registry.owner(), address(timelock));
        assertEq(registry.pendingOwner(), next);
        vm.prank(next);
        registry.acceptOwnership();
        assertEq(registry.owner(), next);
    }

    // ----- every former owner power, called by the old owner after the handover -----

    function _expectNotOwner(address caller) internal {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        vm.prank(caller);
    }

    function test_RevertIf_OldOwnerSetsUnbondingDelay() public {
        _expectNotOwner(admin);
        registry.setUnbondingDelay(1 days);
    }

    function test_RevertIf_OldOwnerSetsMinOperatorStake() public {
        _expectNotOwner(admin);
        registry.setMinOperatorStake(0);
    }

    function test_RevertIf_OldOwnerSetsSettlement() public {
        _expectNotOwner(admin);
        registry.setSettlement(alice);
    }

    function test_RevertIf_OldOwnerTransfersRegistry() public {
        _expectNotOwner(admin);
        registry.transferOwnership(admin);
    }

    function test_RevertIf_OldOwnerRenouncesRegistry() public {
        _expectNotOwner(admin);
        registry.renounceOwnership();
    }

    function test_RevertIf_OldOwnerSetsRegistryGuardian() public {
        _expectNotOwner(admin);
        registry.setGuardian(admin);
    }

    function test_RevertIf_OldOwnerSetsWorkflow() public {
        _expectNotOwner(admin);
        settlement.setWorkflow(1, admin, bytes10("evil"));
    }

    function test_RevertIf_OldOwnerSetsForwarder() public {
        _expectNotOwner(admin);
        settlement.setForwarder(admin);
    }

    function test_RevertIf_OldOwnerSetsTreasury() public {
        _expectNotOwner(admin);
        settlement.setTreasury(admin);
    }

    function test_RevertIf_OldOwnerSetsReporterRewardBps() public {
        _expectNotOwner(admin);
        settlement.setReporterRewardBps(10_000);
    }

    function test_RevertIf_OldOwnerTransfersSettlement() public {
        _expectNotOwner(admin);
        settlement.transferOwnership(admin);
    }

    function test_RevertIf_OldOwnerRenouncesSettlement() public {
        _expectNotOwner(admin);
        settlement.renounceOwnership();
    }

    function test_RevertIf_OldOwnerSetsSettlementGuardian() public {
        _expectNotOwner(admin);
        settlement.setGuardian(admin);
    }

    function test_RevertIf_OldOwnerUnpauses() public {
        vm.startPrank(guardian);
        registry.pause();
        settlement.pause();
        vm.stopPrank();
        _expectNotOwner(admin);
        registry.unpause();
        _expectNotOwner(admin);
        settlement.unpause();
    }

    function test_RevertIf_OldOwnerSetsForwarderConfig() public {
        vm.expectRevert("Only callable by owner");
        vm.prank(admin);
        forwarder.setConfig(DON_ID, CONFIG_VERSION + 1, F, signers);
    }

    function test_RevertIf_OldOwnerClearsForwarderConfig() public {
        vm.expectRevert("Only callable by owner");
        vm.prank(admin);
        forwarder.clearConfig(DON_ID, CONFIG_VERSION);
    }

    function test_RevertIf_OldOwnerAddsForwarder() public {
        // An added "forwarder" may call `route` and deliver any report to the settlement unsigned.
        vm.expectRevert("Only callable by owner");
        vm.prank(admin);
        forwarder.addForwarder(admin);
    }

    function test_RevertIf_OldOwnerRemovesForwarder() public {
        vm.expectRevert("Only callable by owner");
        vm.prank(admin);
        forwarder.removeForwarder(address(forwarder));
    }

    function test_RevertIf_OldOwnerTransfersForwarder() public {
        vm.expectRevert("Only callable by owner");
        vm.prank(admin);
        forwarder.transferOwnership(admin);
    }

    function test_RevertIf_OldOwnerAcceptsBack() public {
        // A stale offer cannot be taken back: the pending owner was cleared by the timelock's acceptance.
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, admin));
        vm.prank(admin);
        settlement.acceptOwnership();
        vm.expectRevert("Must be proposed owner");
        vm.prank(admin);
        forwarder.acceptOwnership();
    }

    // ----- a random key, any former owner power -----

    function testFuzz_RevertIf_AnyKeyCallsOwnerPower(address caller, uint256 which) public {
        vm.assume(caller != address(timelock));
        OwnerCall[] memory calls = _ownerCalls();
        OwnerCall memory c = calls[bound(which, 0, calls.length - 1)];
        vm.prank(caller);
        (bool ok,) = c.target.call(c.data);
        assertFalse(ok);
    }

    struct OwnerCall {
        address target;
        bytes data;
    }

    function _ownerCalls() internal view returns (OwnerCall[] memory c) {
        c = new OwnerCall[](21);
        c[0] = OwnerCall(address(registry), abi.encodeCall(registry.setUnbondingDelay, (2 days)));
        c[1] = OwnerCall(address(registry), abi.encodeCall(registry.setMinOperatorStake, (1)));
        c[2] = OwnerCall(address(registry), abi.encodeCall(registry.setSettlement, (alice)));
        c[3] = OwnerCall(address(registry), abi.encodeCall(registry.transferOwnership, (alice)));
        c[4] = OwnerCall(address(registry), abi.encodeCall(registry.renounceOwnership, ()));
        c[5] = OwnerCall(address(registry), abi.encodeCall(registry.setGuardian, (alice)));
        c[6] =
            OwnerCall(address(settlement), abi.encodeCall(settlement.setWorkflow, (1, alice, bytes10("x"))));
        c[7] = OwnerCall(address(settlement), abi.encodeCall(settlement.setForwarder, (alice)));
        c[8] = OwnerCall(address(settlement), abi.encodeCall(settlement.setTreasury, (alice)));
        c[9] = OwnerCall(address(settlement), abi.encodeCall(settlement.setReporterRewardBps, (1)));
        c[10] = OwnerCall(address(settlement), abi.encodeCall(settlement.transferOwnership, (alice)));
        c[11] = OwnerCall(address(settlement), abi.encodeCall(settlement.renounceOwnership, ()));
        c[12] = OwnerCall(address(settlement), abi.encodeCall(settlement.setGuardian, (alice)));
        c[13] = OwnerCall(address(forwarder), abi.encodeCall(forwarder.setConfig, (DON_ID, 9, F, signers)));
        c[14] = OwnerCall(address(forwarder), abi.encodeCall(forwarder.clearConfig, (DON_ID, CONFIG_VERSION)));
        c[15] = OwnerCall(address(forwarder), abi.encodeCall(forwarder.addForwarder, (alice)));
        c[16] = OwnerCall(address(forwarder), abi.encodeCall(forwarder.transferOwnership, (alice)));
        c[17] = OwnerCall(address(timelock), abi.encodeCall(timelock.updateDelay, (0)));
        c[18] = OwnerCall(address(governor), abi.encodeCall(governor.updateQuorumNumerator, (0)));
        c[19] = OwnerCall(address(settlement), abi.encodeCall(settlement.setFees, (1, 0, 0)));
        c[20] = OwnerCall(address(settlement), abi.encodeCall(settlement.setGasReimbursement, (1, 1)));
    }

    // ----- the guardian -----

    function test_GuardianPausesSettlementReportsAndClaims() public {
        ClaimableLine memory l = _settleOne();
        vm.prank(guardian);
        settlement.pause();
        assertTrue(settlement.paused());

        _warpPastEpoch(1);
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        _deliver(SETTLE_NAME, _settleBody(_settlement(1, keccak256("root-1"), 10e18)));
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        vm.prank(alice);
        settlement.claim(networkId, 0, l.line, l.proof);
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        vm.prank(alice);
        settlement.claimTo(networkId, 0, l.line, l.proof, bob);
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        vm.prank(alice);
        settlement.claimAndCall(networkId, 0, l.line, l.proof, bob, "");

        // What a pause never stops: budgets in and out.
        vm.startPrank(networkOwner);
        settlement.depositBudget(networkId, 1e18);
        settlement.withdrawBudget(networkId, 1e18, networkOwner);
        vm.stopPrank();

        // Unpause only by proposal; then the claim pays as before.
        _govern(address(settlement), abi.encodeCall(settlement.unpause, ()), "Unpause settlement");
        vm.prank(alice);
        settlement.claim(networkId, 0, l.line, l.proof);
        assertEq(settlement.isClaimed(networkId, 0, l.line.deviceId), true);
    }

    function test_PausedReportIsRetriedAfterUnpause() public {
        vm.prank(guardian);
        settlement.pause();
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(
            keccak256("exec-0"),
            SETTLE_NAME,
            workflowOwner,
            _settleBody(_settlement(0, keccak256("r"), 10e18))
        );
        bytes memory context = abi.encodePacked(bytes32(uint256(1)), bytes32(uint256(2)), bytes32(uint256(3)));
        bytes[] memory sigs = _signAll(_firstKeys(F + 1), raw, context);
        // The forwarder records a failed transmission instead of reverting; the same report may be sent again.
        forwarder.report(address(settlement), raw, context, sigs);
        assertEq(settlement.nextEpoch(networkId), 0);
        _govern(address(settlement), abi.encodeCall(settlement.unpause, ()), "Unpause settlement");
        forwarder.report(address(settlement), raw, context, sigs);
        assertEq(settlement.nextEpoch(networkId), 1);
    }

    function test_GuardianPausesRegistrationsNotExits() public {
        bytes32 device = keccak256("exiting-device");
        _registerDevice(device, alice);
        vm.prank(guardian);
        registry.pause();

        _mint(bob, 1_000e18);
        vm.startPrank(bob);
        token.approve(address(registry), type(uint256).max);
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        registry.registerDevice(networkId, keccak256("new-device"), bob);
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        registry.registerOperator(bob, hex"0024080112201234", MIN_OPERATOR_STAKE);
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        registry.registerNetwork(_params());
        vm.stopPrank();

        // Exits and withdrawals run through a pause: it can hold nobody's stake.
        vm.prank(alice);
        registry.requestDeviceExit(device);
        vm.warp(block.timestamp + UNBONDING);
        uint256 before = token.balanceOf(alice);
        vm.prank(alice);
        registry.withdrawDeviceStake(device);
        assertEq(token.balanceOf(alice), before + STAKE_PER_DEVICE);
    }

    function test_RevertIf_GuardianUnpauses() public {
        vm.startPrank(guardian);
        registry.pause();
        settlement.pause();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        registry.unpause();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        settlement.unpause();
        vm.stopPrank();
    }

    function test_RevertIf_GuardianCallsOwnerPower() public {
        OwnerCall[] memory calls = _ownerCalls();
        for (uint256 i = 0; i < calls.length; ++i) {
            vm.prank(guardian);
            (bool ok,) = calls[i].target.call(calls[i].data);
            assertFalse(ok);
        }
    }

    function test_RevertIf_StrangerPauses() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianPausable.NotGuardian.selector, stranger));
        vm.prank(stranger);
        settlement.pause();
        vm.expectRevert(abi.encodeWithSelector(IGuardianPausable.NotGuardian.selector, admin));
        vm.prank(admin);
        registry.pause();
    }

    function test_GovernanceReplacesGuardian() public {
        address next = makeAddr("nextGuardian");
        _govern(address(settlement), abi.encodeCall(settlement.setGuardian, (next)), "New guardian");
        assertEq(settlement.guardian(), next);
        vm.expectRevert(abi.encodeWithSelector(IGuardianPausable.NotGuardian.selector, guardian));
        vm.prank(guardian);
        settlement.pause();
        vm.prank(next);
        settlement.pause();
    }

    struct ClaimableLine {
        IVigilSettlement.DeviceLine line;
        bytes32[] proof;
    }

    function _settleOne() internal returns (ClaimableLine memory l) {
        (IVigilSettlement.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 10e18, 5e18);
        l.line = lines[0];
        l.proof = _proof(leaves, 0);
    }

    function test_NetworkOwnerStillManagesItsNetworkWhilePaused() public {
        vm.prank(guardian);
        registry.pause();
        vm.prank(networkOwner);
        registry.updateNetwork(networkId, BUDGET_PER_EPOCH / 2, STAKE_PER_DEVICE, 7, 3);
        IVigilRegistry.Network memory n = registry.getNetwork(networkId);
        assertEq(n.rewardBudgetPerEpoch, BUDGET_PER_EPOCH / 2);
    }
}
