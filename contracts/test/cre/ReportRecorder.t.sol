// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReportRecorder} from "./ReportRecorder.sol";
import {KeystoneForwarder} from "@chainlink/contracts/src/v0.8/keystone/KeystoneForwarder.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Checks the test receiver against the real forwarder; the TypeScript tests deploy both
/// from these artifacts (this file is also what makes `forge test` build `KeystoneForwarder`).
contract ReportRecorderTest is Test {
    KeystoneForwarder internal forwarder;
    ReportRecorder internal recorder;

    function setUp() public {
        forwarder = new KeystoneForwarder();
        recorder = new ReportRecorder(address(forwarder));
    }

    function test_RecordsForwardedReport() public {
        vm.prank(address(forwarder));
        recorder.onReport(hex"0102", hex"0304");
        assertEq(recorder.count(), 1);
        (bytes memory metadata, bytes memory report) = recorder.delivery(0);
        assertEq(metadata, hex"0102");
        assertEq(report, hex"0304");
    }

    function test_RevertIf_NotForwarder() public {
        vm.expectRevert(abi.encodeWithSelector(ReportRecorder.UnauthorizedForwarder.selector, address(this)));
        recorder.onReport(hex"", hex"");
    }
}
