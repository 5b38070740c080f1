// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClaimBridgeHook} from "../../src/bridge/ClaimBridgeHook.sol";
import {LaneMessage} from "../../src/bridge/lane/LaneMessage.sol";
import {VigilToken} from "../../src/token/VigilToken.sol";
import {LaneFixture} from "./LaneFixture.sol";
import {IRouterClient} from "@chainlink/contracts-ccip/contracts/interfaces/IRouterClient.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";

/// Claim-and-bridge over the local lane: the hook burns through the real pool on A, the relayer's
/// delivery mints on B.
contract LaneClaimBridgeTest is LaneFixture {
    address internal settlement = makeAddr("settlement");
    address internal claimant = makeAddr("claimant");
    address internal receiver = makeAddr("receiver");

    function _claimThroughHook(ClaimBridgeHook h, VigilToken t, uint64 dest, uint256 amount)
        internal
        returns (bytes32)
    {
        t.mint(address(h), amount);
        vm.prank(settlement);
        return h.onVigilClaim(claimant, amount, abi.encode(dest, receiver));
    }

    function test_LocalLaneClaimBurnsAndMints() public {
        ClaimBridgeHook laneHook =
            new ClaimBridgeHook(IRouterClient(address(a.router)), IERC20(address(a.token)), settlement);
        a.token.grantMintAndBurnRoles(address(this));
        vm.recordLogs();
        bytes32 id = _claimThroughHook(laneHook, a.token, SELECTOR_B, 7e18);
        LaneMessage.Message[] memory messages = _sentMessages();
        assertEq(LaneMessage.id(messages[0]), id);
        assertEq(messages[0].sender, address(laneHook));
        assertEq(a.token.totalSupply(), 0, "burned on A");
        vm.prank(relayer);
        b.offRamp.execute(messages);
        assertEq(b.token.balanceOf(receiver), 7e18, "minted on B");
    }

    function test_RevertIf_LaneDestinationUnknown() public {
        ClaimBridgeHook laneHook =
            new ClaimBridgeHook(IRouterClient(address(a.router)), IERC20(address(a.token)), settlement);
        a.token.grantMintAndBurnRoles(address(this));
        a.token.mint(address(laneHook), 1e18);
        vm.prank(settlement);
        vm.expectRevert(abi.encodeWithSelector(ClaimBridgeHook.UnsupportedDestination.selector, uint64(77)));
        laneHook.onVigilClaim(claimant, 1e18, abi.encode(uint64(77), receiver));
    }
}
