// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClaimBridgeHook} from "../../src/bridge/ClaimBridgeHook.sol";
import {LaneMessage} from "../../src/bridge/lane/LaneMessage.sol";
import {IVigilFeed} from "../../src/interfaces/IVigilFeed.sol";
import {VigilFixture} from "../vigil/VigilFixture.sol";
import {LaneFixture} from "./LaneFixture.sol";
import {IRouterClient} from "@chainlink/contracts-ccip/contracts/interfaces/IRouterClient.sol";
import {RateLimiter} from "@chainlink/contracts-ccip/contracts/libraries/RateLimiter.sol";
import {TokenPool} from "@chainlink/contracts-ccip/contracts/pools/TokenPool.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";

/// Claim-and-bridge end to end: the real settlement contract pays a device owner's epoch reward into
/// the hook, which sends it over the local lane (real pools); the relayer's delivery mints it on B.
contract ClaimAndBridgeTest is VigilFixture, LaneFixture {
    ClaimBridgeHook internal hook;
    address internal carol = makeAddr("carol");

    function setUp() public override(VigilFixture, LaneFixture) {
        VigilFixture.setUp();
        // Chain A is the home chain: its reward token is the settlement's.
        _deployLane(token, admin);
        hook = new ClaimBridgeHook(
            IRouterClient(address(a.router)), IERC20(address(token)), address(settlement)
        );
    }

    function test_ClaimAndBridgeDeliversRewardOnOtherChain() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        uint256 supplyBefore = token.totalSupply();
        vm.recordLogs();
        vm.prank(alice);
        bytes32 ref = settlement.claimAndCall(
            networkId, 0, lines[0], _proof(leaves, 0), address(hook), abi.encode(SELECTOR_B, carol)
        );
        LaneMessage.Message[] memory messages = _sentMessages();
        assertEq(messages.length, 1);
        assertEq(LaneMessage.id(messages[0]), ref, "settlement returns the CCIP message id");
        assertEq(messages[0].receiver, carol);
        assertEq(messages[0].amount, 300e18);
        assertEq(token.totalSupply(), supplyBefore - 300e18, "burned on the home chain");
        assertEq(token.balanceOf(address(hook)), 0);

        vm.prank(relayer);
        b.offRamp.execute(messages);
        assertEq(b.token.balanceOf(carol), 300e18, "minted on the other chain");
    }

    function test_RevertIf_ClaimAboveBucketLeavesClaimOpen() public {
        (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves) = _settleTwo(0, 300e18, 200e18);
        TokenPool.RateLimitConfigArgs[] memory limits = new TokenPool.RateLimitConfigArgs[](1);
        limits[0] = TokenPool.RateLimitConfigArgs({
            remoteChainSelector: SELECTOR_B,
            fastFinality: false,
            outboundRateLimiterConfig: RateLimiter.Config({isEnabled: true, capacity: 100e18, rate: 1e18}),
            inboundRateLimiterConfig: RateLimiter.Config({isEnabled: true, capacity: 110e18, rate: 1e18})
        });
        a.pool.setRateLimitConfig(limits);

        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                RateLimiter.TokenMaxCapacityExceeded.selector,
                uint256(100e18),
                uint256(300e18),
                address(token)
            )
        );
        settlement.claimAndCall(
            networkId, 0, lines[0], _proof(leaves, 0), address(hook), abi.encode(SELECTOR_B, carol)
        );

        // Nothing happened: the reward can still be claimed at home.
        vm.prank(alice);
        settlement.claim(networkId, 0, lines[0], _proof(leaves, 0));
        assertEq(token.balanceOf(alice), 300e18);
    }
}
