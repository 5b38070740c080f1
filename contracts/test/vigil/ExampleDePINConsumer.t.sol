// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ExampleDePINConsumer} from "../../src/examples/ExampleDePINConsumer.sol";
import {IVigilFeed} from "../../src/interfaces/IVigilFeed.sol";
import {VigilFixture} from "./VigilFixture.sol";

contract ExampleDePINConsumerTest is VigilFixture {
    ExampleDePINConsumer internal consumer;

    function setUp() public override {
        super.setUp();
        consumer = new ExampleDePINConsumer(settlement, networkId);
    }

    function test_AcceptsVerifiedLine() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 1, 2);
        consumer.submitResult(lines[0], _proof(leaves, 0));
        (uint64 lastEpoch, uint64 totalWork, uint32 uptime, bool premium, bool seen) =
            consumer.records(lines[0].deviceId);
        assertEq(lastEpoch, 0);
        assertEq(totalWork, 1_000);
        assertEq(uptime, 9_950);
        assertTrue(premium);
        assertTrue(seen);
    }

    function test_RevertIf_UnverifiedLine() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 1, 2);
        lines[0].work = 1_000_000;
        vm.expectRevert(
            abi.encodeWithSelector(ExampleDePINConsumer.UnverifiedLine.selector, lines[0].deviceId, 0)
        );
        consumer.submitResult(lines[0], _proof(leaves, 0));
    }

    function test_RevertIf_WrongNetwork() public {
        IVigilFeed.DeviceLine memory line = _line(0, bytes32(0), alice, 1);
        line.networkId = 5;
        vm.expectRevert(abi.encodeWithSelector(ExampleDePINConsumer.WrongNetwork.selector, 5));
        consumer.submitResult(line, new bytes32[](0));
    }

    function test_RevertIf_StaleEpoch() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 1, 2);
        consumer.submitResult(lines[0], _proof(leaves, 0));
        vm.expectRevert(
            abi.encodeWithSelector(ExampleDePINConsumer.StaleEpoch.selector, lines[0].deviceId, 0, 0)
        );
        consumer.submitResult(lines[0], _proof(leaves, 0));
    }
}
