// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LaneMessage} from "../../src/bridge/lane/LaneMessage.sol";
import {LaneOffRamp} from "../../src/bridge/lane/LaneOffRamp.sol";
import {LaneFixture} from "./LaneFixture.sol";
import {Client} from "@chainlink/contracts-ccip/contracts/libraries/Client.sol";
import {Pool} from "@chainlink/contracts-ccip/contracts/libraries/Pool.sol";
import {RateLimiter} from "@chainlink/contracts-ccip/contracts/libraries/RateLimiter.sol";
import {TokenPool} from "@chainlink/contracts-ccip/contracts/pools/TokenPool.sol";

contract LocalLaneTest is LaneFixture {
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public override {
        super.setUp();
        a.token.grantMintAndBurnRoles(address(this));
        a.token.mint(alice, 10_000e18);
    }

    function _send(
        LaneFixture.Side memory from,
        uint64 dest,
        address sender,
        address receiver,
        uint256 amount
    ) internal returns (bytes32) {
        Client.EVMTokenAmount[] memory tokenAmounts = new Client.EVMTokenAmount[](1);
        tokenAmounts[0] = Client.EVMTokenAmount({token: address(from.token), amount: amount});
        vm.startPrank(sender);
        from.token.approve(address(from.router), amount);
        bytes32 id = from.router
            .ccipSend(
                dest,
                Client.EVM2AnyMessage({
                    receiver: abi.encode(receiver),
                    data: "",
                    tokenAmounts: tokenAmounts,
                    feeToken: address(0),
                    extraArgs: ""
                })
            );
        vm.stopPrank();
        return id;
    }

    function _deliver(LaneOffRamp offRamp, LaneMessage.Message[] memory messages) internal {
        vm.prank(relayer);
        offRamp.execute(messages);
    }

    function test_SendBurnsOnSourceAndDeliveryMintsOnDestination() public {
        vm.recordLogs();
        bytes32 id = _send(a, SELECTOR_B, alice, bob, 100e18);
        LaneMessage.Message[] memory messages = _sentMessages();
        assertEq(messages.length, 1);
        assertEq(LaneMessage.id(messages[0]), id);
        assertEq(messages[0].sequenceNumber, 1);
        assertEq(messages[0].destToken, address(b.token));
        assertEq(a.token.totalSupply(), 9_900e18, "burned on A");
        assertEq(a.token.balanceOf(address(a.pool)), 0);

        _deliver(b.offRamp, messages);
        assertEq(b.token.balanceOf(bob), 100e18, "minted on B");
        assertEq(b.offRamp.getExecutedMessageId(1), id);
    }

    function test_RoundTrip() public {
        vm.recordLogs();
        _send(a, SELECTOR_B, alice, bob, 300e18);
        _deliver(b.offRamp, _sentMessages());
        vm.recordLogs();
        _send(b, SELECTOR_A, bob, alice, 120e18);
        _deliver(a.offRamp, _sentMessages());
        assertEq(a.token.balanceOf(alice), 10_000e18 - 300e18 + 120e18);
        assertEq(b.token.balanceOf(bob), 180e18);
        assertEq(a.token.totalSupply() + b.token.totalSupply(), 10_000e18);
    }

    function test_RevertIf_DeliveredTwice() public {
        vm.recordLogs();
        bytes32 id = _send(a, SELECTOR_B, alice, bob, 1e18);
        LaneMessage.Message[] memory messages = _sentMessages();
        _deliver(b.offRamp, messages);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(LaneOffRamp.AlreadyExecuted.selector, uint64(1), id));
        b.offRamp.execute(messages);
        assertEq(b.token.balanceOf(bob), 1e18);
    }

    function test_RevertIf_DuplicateInsideOneBatch() public {
        vm.recordLogs();
        _send(a, SELECTOR_B, alice, bob, 1e18);
        LaneMessage.Message[] memory one = _sentMessages();
        LaneMessage.Message[] memory twice = new LaneMessage.Message[](2);
        twice[0] = one[0];
        twice[1] = one[0];
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(LaneOffRamp.AlreadyExecuted.selector, uint64(1), LaneMessage.id(one[0]))
        );
        b.offRamp.execute(twice);
    }

    function test_RevertIf_NotTransmitter() public {
        vm.recordLogs();
        _send(a, SELECTOR_B, alice, bob, 1e18);
        LaneMessage.Message[] memory messages = _sentMessages();
        vm.expectRevert(abi.encodeWithSelector(LaneOffRamp.OnlyTransmitter.selector, address(this)));
        b.offRamp.execute(messages);
    }

    function test_RevertIf_ForgedSourcePool() public {
        vm.recordLogs();
        _send(a, SELECTOR_B, alice, bob, 1e18);
        LaneMessage.Message[] memory messages = _sentMessages();
        messages[0].sourcePool = address(0xBEEF);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(TokenPool.InvalidSourcePoolAddress.selector, abi.encode(address(0xBEEF)))
        );
        b.offRamp.execute(messages);
    }

    function test_RevertIf_AboveOutboundBucket() public {
        Client.EVMTokenAmount[] memory tokenAmounts = new Client.EVMTokenAmount[](1);
        tokenAmounts[0] = Client.EVMTokenAmount({token: address(a.token), amount: CAPACITY + 1});
        vm.startPrank(alice);
        a.token.approve(address(a.router), CAPACITY + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                RateLimiter.TokenMaxCapacityExceeded.selector,
                uint256(CAPACITY),
                uint256(CAPACITY) + 1,
                address(a.token)
            )
        );
        a.router
            .ccipSend(
                SELECTOR_B,
                Client.EVM2AnyMessage({
                    receiver: abi.encode(bob),
                    data: "",
                    tokenAmounts: tokenAmounts,
                    feeToken: address(0),
                    extraArgs: ""
                })
            );
        vm.stopPrank();
    }

    function test_RevertIf_BucketDrained() public {
        _send(a, SELECTOR_B, alice, bob, CAPACITY);
        Client.EVMTokenAmount[] memory tokenAmounts = new Client.EVMTokenAmount[](1);
        tokenAmounts[0] = Client.EVMTokenAmount({token: address(a.token), amount: 100e18});
        vm.startPrank(alice);
        a.token.approve(address(a.router), 100e18);
        // Empty bucket refilling at RATE per second: 10 s until 100 tokens are available.
        vm.expectRevert(
            abi.encodeWithSelector(
                RateLimiter.TokenRateLimitReached.selector, uint256(10), uint256(0), address(a.token)
            )
        );
        a.router
            .ccipSend(
                SELECTOR_B,
                Client.EVM2AnyMessage({
                    receiver: abi.encode(bob),
                    data: "",
                    tokenAmounts: tokenAmounts,
                    feeToken: address(0),
                    extraArgs: ""
                })
            );
        vm.stopPrank();
        vm.warp(block.timestamp + 10);
        _send(a, SELECTOR_B, alice, bob, 100e18);
    }

    function test_RevertIf_Cursed() public {
        a.rmn.setCurse(bytes16(uint128(SELECTOR_B)), true);
        Client.EVMTokenAmount[] memory tokenAmounts = new Client.EVMTokenAmount[](1);
        tokenAmounts[0] = Client.EVMTokenAmount({token: address(a.token), amount: 1e18});
        vm.startPrank(alice);
        a.token.approve(address(a.router), 1e18);
        vm.expectRevert(TokenPool.CursedByRMN.selector);
        a.router
            .ccipSend(
                SELECTOR_B,
                Client.EVM2AnyMessage({
                    receiver: abi.encode(bob),
                    data: "",
                    tokenAmounts: tokenAmounts,
                    feeToken: address(0),
                    extraArgs: ""
                })
            );
        vm.stopPrank();
    }

    function test_RevertIf_PoolCalledByStranger() public {
        vm.expectRevert(abi.encodeWithSelector(TokenPool.CallerIsNotARampOnRouter.selector, address(this)));
        a.pool.lockOrBurn(_lockOrBurnIn(bob, SELECTOR_B, 1e18, address(a.token)));
    }

    function test_RevertIf_UnknownDestination() public {
        Client.EVMTokenAmount[] memory tokenAmounts = new Client.EVMTokenAmount[](1);
        tokenAmounts[0] = Client.EVMTokenAmount({token: address(a.token), amount: 1e18});
        vm.expectRevert(abi.encodeWithSignature("UnsupportedDestinationChain(uint64)", uint64(9999)));
        a.router
            .ccipSend(
                9999,
                Client.EVM2AnyMessage({
                    receiver: abi.encode(bob),
                    data: "",
                    tokenAmounts: tokenAmounts,
                    feeToken: address(0),
                    extraArgs: ""
                })
            );
    }

    function testFuzz_SupplyConserved(uint96[8] memory amounts) public {
        uint256 inFlight;
        vm.recordLogs();
        for (uint256 i = 0; i < amounts.length; ++i) {
            uint256 amount = bound(amounts[i], 1, 100e18);
            _send(a, SELECTOR_B, alice, bob, amount);
            inFlight += amount;
        }
        assertEq(a.token.totalSupply() + b.token.totalSupply() + inFlight, 10_000e18);
        _deliver(b.offRamp, _sentMessages());
        assertEq(a.token.totalSupply() + b.token.totalSupply(), 10_000e18);
        assertEq(b.token.balanceOf(bob), inFlight);
    }

    function _lockOrBurnIn(address receiver, uint64 dest, uint256 amount, address token)
        internal
        view
        returns (Pool.LockOrBurnInV1 memory)
    {
        return Pool.LockOrBurnInV1({
            receiver: abi.encode(receiver),
            remoteChainSelector: dest,
            originalSender: alice,
            amount: amount,
            localToken: token
        });
    }
}
