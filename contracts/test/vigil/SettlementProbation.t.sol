// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVigilFeed} from "../../src/interfaces/IVigilFeed.sol";
import {IVigilRegistry} from "../../src/interfaces/IVigilRegistry.sol";
import {IVigilSettlement} from "../../src/interfaces/IVigilSettlement.sol";
import {VigilFixture} from "./VigilFixture.sol";

/// Probation escrow (docs/contracts.md, "Economics"): a new device's first epochs' rewards wait until those epochs have
/// settled, and a slash forfeits them.
contract SettlementProbationTest is VigilFixture {
    bytes32 internal constant DEVICE_A = keccak256("device-a");
    bytes32 internal constant DEVICE_B = keccak256("device-b");

    function setUp() public override {
        super.setUp();
        _registerDevice(DEVICE_A, alice); // registered in epoch 0
        vm.expectEmit(address(registry));
        emit IVigilRegistry.ProbationEpochsSet(networkId, 2);
        vm.prank(networkOwner);
        registry.setProbationEpochs(networkId, 2);
    }

    function test_ProbationOfADevice() public view {
        (uint64 release, bool slashed) = registry.probation(DEVICE_A);
        assertEq(release, 2);
        assertFalse(slashed);
        // Unknown device: nothing escrowed.
        (release,) = registry.probation(keccak256("nobody"));
        assertEq(release, 0);
        assertEq(registry.probationEpochs(networkId), 2);
    }

    function test_EscrowedUntilTheProbationEpochsSettled() public {
        (IVigilFeed.DeviceLine[] memory lines0, bytes32[] memory leaves0) = _settleTwo(0, 300e18, 200e18);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.InProbation.selector, networkId, DEVICE_A, uint64(2))
        );
        vm.prank(alice);
        settlement.claim(networkId, 0, lines0[0], _proof(leaves0, 0));
        // Device B was never registered in the registry: no probation applies to it.
        vm.prank(bob);
        settlement.claim(networkId, 0, lines0[1], _proof(leaves0, 1));

        (IVigilFeed.DeviceLine[] memory lines1, bytes32[] memory leaves1) = _settleTwo(1, 30e18, 20e18);
        // Both probation epochs settled, but fraud evidence for epoch 1 is admissible until epoch 2 ends.
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.InProbation.selector, networkId, DEVICE_A, uint64(2))
        );
        vm.prank(alice);
        settlement.claim(networkId, 1, lines1[0], _proof(leaves1, 0));
        _settleTwo(2, 1e18, 1e18);
        // Epoch 2 settled: both released.
        vm.startPrank(alice);
        settlement.claim(networkId, 0, lines0[0], _proof(leaves0, 0));
        settlement.claim(networkId, 1, lines1[0], _proof(leaves1, 0));
        vm.stopPrank();
        assertEq(token.balanceOf(alice), 330e18);
    }

    function test_AfterProbationPaidAtOnce() public {
        _settleTwo(0, 1e18, 1e18);
        _settleTwo(1, 1e18, 1e18);
        // Epoch 2 is the first after probation: claimable as soon as it settles.
        (IVigilFeed.DeviceLine[] memory lines2, bytes32[] memory leaves2) = _settleTwo(2, 5e18, 1e18);
        vm.prank(alice);
        settlement.claim(networkId, 2, lines2[0], _proof(leaves2, 0));
        assertEq(token.balanceOf(alice), 5e18);
    }

    function test_RevertIf_ClaimAfterASlashInProbation() public {
        (IVigilFeed.DeviceLine[] memory lines0, bytes32[] memory leaves0) = _settleTwo(0, 300e18, 200e18);
        _deliver(
            SLASH_NAME,
            _slashBody(1, IVigilSettlement.DeviceSlash(DEVICE_A, 1e18, 1, keccak256("ev")), networkId)
        );
        _settleTwo(1, 30e18, 20e18);
        (, bool slashed) = registry.probation(DEVICE_A);
        assertTrue(slashed);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.RewardForfeited.selector, networkId, 0, DEVICE_A)
        );
        vm.prank(alice);
        settlement.claim(networkId, 0, lines0[0], _proof(leaves0, 0));
        // Rewards after the probation are not forfeited.
        (IVigilFeed.DeviceLine[] memory lines2, bytes32[] memory leaves2) = _settleTwo(2, 7e18, 1e18);
        vm.prank(alice);
        settlement.claim(networkId, 2, lines2[0], _proof(leaves2, 0));
        assertEq(token.balanceOf(alice), 7e18);
    }

    function test_RevertIf_SetProbationNotNetworkOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.NotNetworkOwner.selector, networkId, alice));
        vm.prank(alice);
        registry.setProbationEpochs(networkId, 1);
    }

    function test_RevertIf_SetProbationTooLong() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.ProbationTooLong.selector, 10_001, 10_000));
        vm.prank(networkOwner);
        registry.setProbationEpochs(networkId, 10_001);
    }

    function test_ProbationOffPaysAtOnce() public {
        vm.prank(networkOwner);
        registry.setProbationEpochs(networkId, 0);
        (IVigilFeed.DeviceLine[] memory lines0, bytes32[] memory leaves0) = _settleTwo(0, 300e18, 200e18);
        vm.prank(alice);
        settlement.claim(networkId, 0, lines0[0], _proof(leaves0, 0));
        assertEq(token.balanceOf(alice), 300e18);
    }
}
