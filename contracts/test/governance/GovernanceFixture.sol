// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VigilGovernor} from "../../src/governance/VigilGovernor.sol";
import {VigilFixture} from "../vigil/VigilFixture.sol";
import {IGovernor} from "@openzeppelin/contracts@5.3.0/governance/IGovernor.sol";
import {TimelockController} from "@openzeppelin/contracts@5.3.0/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts@5.3.0/governance/utils/IVotes.sol";

/// The Vigil fixture handed over to governance: a TimelockController (executors open, the governor its only
/// proposer and canceller, no admin) owns the registry, the settlement and the KeystoneForwarder, and a guardian
/// may pause. The handover itself goes through a proposal: the old owner offers ownership (two-step) and the
/// timelock accepts it by executing `acceptOwnership` on all three.
abstract contract GovernanceFixture is VigilFixture {
    uint48 internal constant VOTING_DELAY = 1; // blocks
    uint32 internal constant VOTING_PERIOD = 50; // blocks
    uint256 internal constant QUORUM_PERCENT = 4;
    uint256 internal constant TIMELOCK_DELAY = 2 days;
    uint256 internal constant VOTER_BALANCE = 1_000_000e18;

    address internal voter = makeAddr("voter");
    address internal guardian = makeAddr("guardian");
    TimelockController internal timelock;
    VigilGovernor internal governor;

    function setUp() public virtual override {
        super.setUp();
        timelock = new TimelockController(TIMELOCK_DELAY, new address[](0), new address[](1), address(this));
        governor = new VigilGovernor(
            IVotes(address(token)), timelock, VOTING_DELAY, VOTING_PERIOD, 0, QUORUM_PERCENT
        );
        timelock.grantRole(timelock.PROPOSER_ROLE(), address(governor));
        timelock.grantRole(timelock.CANCELLER_ROLE(), address(governor));
        timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), address(this));

        _mint(voter, VOTER_BALANCE);
        vm.prank(voter);
        token.delegate(voter);
        vm.roll(block.number + 1);

        vm.startPrank(admin);
        registry.setGuardian(guardian);
        settlement.setGuardian(guardian);
        registry.transferOwnership(address(timelock));
        settlement.transferOwnership(address(timelock));
        forwarder.transferOwnership(address(timelock));
        vm.stopPrank();

        address[] memory targets = new address[](3);
        targets[0] = address(registry);
        targets[1] = address(settlement);
        targets[2] = address(forwarder);
        bytes[] memory calls = new bytes[](3);
        for (uint256 i = 0; i < 3; ++i) {
            calls[i] = abi.encodeWithSignature("acceptOwnership()");
        }
        _passAndExecute(targets, calls, "Accept ownership of the registry, the settlement and the forwarder");
    }

    // ----- proposals -----

    function _one(address target, bytes memory data)
        internal
        pure
        returns (address[] memory targets, bytes[] memory calls)
    {
        targets = new address[](1);
        targets[0] = target;
        calls = new bytes[](1);
        calls[0] = data;
    }

    /// Proposes, votes for (the voter alone clears quorum) and waits out the voting period.
    function _propose(address[] memory targets, bytes[] memory calls, string memory description)
        internal
        returns (uint256 proposalId)
    {
        vm.prank(voter);
        proposalId = governor.propose(targets, new uint256[](targets.length), calls, description);
        assertEq(uint8(governor.state(proposalId)), uint8(IGovernor.ProposalState.Pending));
        vm.roll(block.number + VOTING_DELAY + 1);
        assertEq(uint8(governor.state(proposalId)), uint8(IGovernor.ProposalState.Active));
        vm.prank(voter);
        governor.castVote(proposalId, 1);
        vm.roll(block.number + VOTING_PERIOD);
        assertEq(uint8(governor.state(proposalId)), uint8(IGovernor.ProposalState.Succeeded));
    }

    function _queue(address[] memory targets, bytes[] memory calls, string memory description) internal {
        governor.queue(targets, new uint256[](targets.length), calls, keccak256(bytes(description)));
    }

    function _execute(address[] memory targets, bytes[] memory calls, string memory description) internal {
        governor.execute(targets, new uint256[](targets.length), calls, keccak256(bytes(description)));
    }

    /// The whole path: propose, vote, queue, wait the timelock delay, execute.
    function _passAndExecute(address[] memory targets, bytes[] memory calls, string memory description)
        internal
        returns (uint256 proposalId)
    {
        proposalId = _propose(targets, calls, description);
        _queue(targets, calls, description);
        assertEq(uint8(governor.state(proposalId)), uint8(IGovernor.ProposalState.Queued));
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        _execute(targets, calls, description);
        assertEq(uint8(governor.state(proposalId)), uint8(IGovernor.ProposalState.Executed));
    }

    function _govern(address target, bytes memory data, string memory description) internal {
        (address[] memory targets, bytes[] memory calls) = _one(target, data);
        _passAndExecute(targets, calls, description);
    }

    /// The timelock operation id the governor queues for a proposal (GovernorTimelockControl's salt).
    function _operationId(address[] memory targets, bytes[] memory calls, string memory description)
        internal
        view
        returns (bytes32)
    {
        bytes32 salt = bytes20(address(governor)) ^ keccak256(bytes(description));
        return timelock.hashOperationBatch(targets, new uint256[](targets.length), calls, 0, salt);
    }
}
