// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVigilFeed} from "../../src/interfaces/IVigilFeed.sol";
import {IVigilSettlement} from "../../src/interfaces/IVigilSettlement.sol";
import {VigilFixture} from "./VigilFixture.sol";
import {KeystoneForwarder} from "@chainlink/contracts/src/v0.8/keystone/KeystoneForwarder.sol";
import {IRouter} from "@chainlink/contracts/src/v0.8/keystone/interfaces/IRouter.sol";

/// Reports travel the real path: DON signers sign with `vm.sign`, a transmitter calls the real
/// `KeystoneForwarder.report`, which checks f+1 signatures and routes to the settlement contract.
contract KeystoneForwarderPathTest is VigilFixture {
    address internal transmitter = makeAddr("transmitter");
    bytes internal context = abi.encodePacked(bytes32(uint256(0xd1)), bytes32(uint256(0xe1)), bytes32(0));

    function _body(uint64 epoch) internal view returns (bytes memory) {
        return _settleBody(_settlement(epoch, keccak256(abi.encode("root", epoch)), 100e18));
    }

    function _transmit(bytes memory raw, bytes[] memory sigs) internal {
        vm.prank(transmitter);
        forwarder.report(address(settlement), raw, context, sigs);
    }

    function _state(bytes32 executionId) internal view returns (IRouter.TransmissionState) {
        return forwarder.getTransmissionInfo(address(settlement), executionId, bytes2(0x0001)).state;
    }

    function test_FPlusOneSignaturesSettle() public {
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(bytes32(uint256(1)), SETTLE_NAME, workflowOwner, _body(0));
        vm.expectEmit(address(forwarder));
        emit KeystoneForwarder.ReportProcessed(address(settlement), bytes32(uint256(1)), bytes2(0x0001), true);
        _transmit(raw, _signAll(_firstKeys(F + 1), raw, context));
        assertEq(settlement.latestEpoch(networkId), 0);
        assertEq(settlement.epochResult(networkId, 0).resultRoot, keccak256(abi.encode("root", uint64(0))));
        assertEq(uint8(_state(bytes32(uint256(1)))), uint8(IRouter.TransmissionState.SUCCEEDED));
    }

    function test_FraudSlashThroughForwarder() public {
        bytes32 device = keccak256("device-x");
        _registerDevice(device, alice);
        IVigilSettlement.DeviceSlash memory slash =
            IVigilSettlement.DeviceSlash(device, 1e18, 3, keccak256("ev"));
        bytes memory raw =
            _rawReport(bytes32(uint256(2)), SLASH_NAME, workflowOwner, _slashBody(0, slash, networkId));
        _transmit(raw, _signAll(_firstKeys(F + 1), raw, context));
        assertTrue(settlement.isEvidenceApplied(keccak256("ev")));
        assertTrue(settlement.isSlashed(networkId, 0, device));
        assertEq(registry.getDevice(device).stake, STAKE_PER_DEVICE - 1e18);
    }

    /// A kind 2 report for a stale epoch is delivered (the forwarder records success, nobody retries it) and
    /// leaves its reason on chain, since a receiver's revert would reach nobody through the forwarder.
    function test_StaleFraudSlashThroughForwarderIsDeliveredAndSkipped() public {
        bytes32 device = keccak256("device-x");
        _registerDevice(device, alice);
        vm.warp(block.timestamp + 2 * uint256(EPOCH_LENGTH));
        IVigilSettlement.DeviceSlash memory slash =
            IVigilSettlement.DeviceSlash(device, 1e18, 3, keccak256("ev"));
        bytes memory raw =
            _rawReport(bytes32(uint256(3)), SLASH_NAME, workflowOwner, _slashBody(0, slash, networkId));
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.DeviceSlashSkipped(
            networkId, 0, device, keccak256("ev"), IVigilSettlement.SlashSkipReason.EpochNotAdmissible
        );
        vm.expectEmit(address(forwarder));
        emit KeystoneForwarder.ReportProcessed(address(settlement), bytes32(uint256(3)), bytes2(0x0001), true);
        _transmit(raw, _signAll(_firstKeys(F + 1), raw, context));
        assertEq(uint8(_state(bytes32(uint256(3)))), uint8(IRouter.TransmissionState.SUCCEEDED));
        assertEq(registry.getDevice(device).stake, STAKE_PER_DEVICE);
        assertFalse(settlement.isSlashed(networkId, 0, device));
        assertFalse(settlement.isEvidenceApplied(keccak256("ev")));
    }

    function test_RevertIf_OnlyFSignatures() public {
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(bytes32(uint256(1)), SETTLE_NAME, workflowOwner, _body(0));
        bytes[] memory sigs = _signAll(_firstKeys(F), raw, context);
        vm.expectRevert(abi.encodeWithSelector(KeystoneForwarder.InvalidSignatureCount.selector, F + 1, F));
        _transmit(raw, sigs);
    }

    function test_RevertIf_SignerNotInDon() public {
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(bytes32(uint256(1)), SETTLE_NAME, workflowOwner, _body(0));
        (address outsider, uint256 outsiderKey) = makeAddrAndKey("outsider");
        uint256[] memory keys = new uint256[](2);
        keys[0] = signerKeys[0];
        keys[1] = outsiderKey;
        bytes[] memory sigs = _signAll(keys, raw, context);
        vm.expectRevert(abi.encodeWithSelector(KeystoneForwarder.InvalidSigner.selector, outsider));
        _transmit(raw, sigs);
    }

    function test_RevertIf_DuplicateSignature() public {
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(bytes32(uint256(1)), SETTLE_NAME, workflowOwner, _body(0));
        uint256[] memory keys = new uint256[](2);
        keys[0] = signerKeys[0];
        keys[1] = signerKeys[0];
        bytes[] memory sigs = _signAll(keys, raw, context);
        vm.expectRevert(abi.encodeWithSelector(KeystoneForwarder.DuplicateSigner.selector, signers[0]));
        _transmit(raw, sigs);
    }

    function test_RevertIf_TamperedBody() public {
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(bytes32(uint256(1)), SETTLE_NAME, workflowOwner, _body(0));
        bytes[] memory sigs = _signAll(_firstKeys(F + 1), raw, context);
        // Change the settled root after signing: the recovered signers are random addresses.
        raw[raw.length - 1] = bytes1(uint8(raw[raw.length - 1]) ^ 0x01);
        vm.expectPartialRevert(KeystoneForwarder.InvalidSigner.selector);
        _transmit(raw, sigs);
        vm.expectRevert(abi.encodeWithSelector(IVigilFeed.NoEpochSettled.selector, networkId));
        settlement.latestEpoch(networkId);
    }

    function test_WrongWorkflowOwnerIsNotSettled() public {
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(bytes32(uint256(1)), SETTLE_NAME, alice, _body(0));
        // The forwarder records the failed delivery instead of reverting; nothing is settled.
        vm.expectEmit(address(forwarder));
        emit KeystoneForwarder.ReportProcessed(
            address(settlement), bytes32(uint256(1)), bytes2(0x0001), false
        );
        _transmit(raw, _signAll(_firstKeys(F + 1), raw, context));
        assertEq(settlement.nextEpoch(networkId), 0);
        assertEq(uint8(_state(bytes32(uint256(1)))), uint8(IRouter.TransmissionState.FAILED));
    }

    function test_WrongWorkflowNameIsNotSettled() public {
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(bytes32(uint256(1)), bytes10("imposter"), workflowOwner, _body(0));
        vm.expectEmit(address(forwarder));
        emit KeystoneForwarder.ReportProcessed(
            address(settlement), bytes32(uint256(1)), bytes2(0x0001), false
        );
        _transmit(raw, _signAll(_firstKeys(F + 1), raw, context));
        assertEq(settlement.nextEpoch(networkId), 0);
    }

    function test_RevertIf_ReplayedReport() public {
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(bytes32(uint256(1)), SETTLE_NAME, workflowOwner, _body(0));
        bytes[] memory sigs = _signAll(_firstKeys(F + 1), raw, context);
        _transmit(raw, sigs);
        bytes32 transmissionId =
            forwarder.getTransmissionId(address(settlement), bytes32(uint256(1)), bytes2(0x0001));
        vm.expectRevert(abi.encodeWithSelector(IRouter.AlreadyAttempted.selector, transmissionId));
        _transmit(raw, sigs);
    }

    function test_SameBodyUnderNewExecutionIdIsNotSettledTwice() public {
        _warpPastEpoch(0);
        bytes memory body = _body(0);
        bytes memory raw1 = _rawReport(bytes32(uint256(1)), SETTLE_NAME, workflowOwner, body);
        _transmit(raw1, _signAll(_firstKeys(F + 1), raw1, context));
        uint256 budget = settlement.budgetOf(networkId);
        bytes memory raw2 = _rawReport(bytes32(uint256(2)), SETTLE_NAME, workflowOwner, body);
        vm.expectEmit(address(forwarder));
        emit KeystoneForwarder.ReportProcessed(
            address(settlement), bytes32(uint256(2)), bytes2(0x0001), false
        );
        _transmit(raw2, _signAll(_firstKeys(F + 1), raw2, context));
        assertEq(settlement.budgetOf(networkId), budget);
        assertEq(settlement.nextEpoch(networkId), 1);
    }

    function test_EpochNotOverFailsThenRetrySucceeds() public {
        bytes memory raw = _rawReport(bytes32(uint256(1)), SETTLE_NAME, workflowOwner, _body(0));
        bytes[] memory sigs = _signAll(_firstKeys(F + 1), raw, context);
        _transmit(raw, sigs);
        assertEq(uint8(_state(bytes32(uint256(1)))), uint8(IRouter.TransmissionState.FAILED));
        // A failed delivery may be retried (the forwarder allows it); after the epoch ends it settles.
        _warpPastEpoch(0);
        _transmit(raw, sigs);
        assertEq(settlement.latestEpoch(networkId), 0);
    }

    function testFuzz_OnlyConfiguredWorkflowSettles(address owner, bytes10 name) public {
        vm.assume(owner != workflowOwner || name != SETTLE_NAME);
        _warpPastEpoch(0);
        bytes memory raw = _rawReport(bytes32(uint256(7)), name, owner, _body(0));
        _transmit(raw, _signAll(_firstKeys(F + 1), raw, context));
        assertEq(settlement.nextEpoch(networkId), 0);
    }
}
