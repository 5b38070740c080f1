// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LaneMessage} from "../../src/bridge/lane/LaneMessage.sol";
import {VigilToken} from "../../src/token/VigilToken.sol";
import {LaneFixture} from "../bridge/LaneFixture.sol";
import {Client} from "@chainlink/contracts-ccip/contracts/libraries/Client.sol";
import {IVotes} from "@openzeppelin/contracts@4.8.3/governance/utils/IVotes.sol";
import {IERC20Permit} from "@openzeppelin/contracts@4.8.3/token/ERC20/extensions/draft-IERC20Permit.sol";

/// VGL's votes (ERC20Votes) follow transfers, mints and burns, including the CCIP pools' burn on the source
/// chain and mint on the destination over the local lane.
contract VigilTokenVotesTest is LaneFixture {
    address internal alice;
    uint256 internal aliceKey;
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    function setUp() public override {
        super.setUp();
        (alice, aliceKey) = makeAddrAndKey("alice");
        a.token.grantMintAndBurnRoles(address(this));
        a.token.mint(alice, 1_000e18);
        vm.prank(alice);
        a.token.delegate(alice);
        vm.prank(bob);
        b.token.delegate(bob);
        vm.roll(block.number + 1);
    }

    function test_VotesFollowTransfersAndDelegation() public {
        assertEq(a.token.getVotes(alice), 1_000e18);
        vm.prank(alice);
        a.token.transfer(carol, 300e18);
        // Undelegated tokens count for nobody until their holder delegates.
        assertEq(a.token.getVotes(alice), 700e18);
        assertEq(a.token.getVotes(carol), 0);
        vm.prank(carol);
        a.token.delegate(alice);
        assertEq(a.token.getVotes(alice), 1_000e18);
        uint256 before = block.number;
        vm.roll(block.number + 1);
        vm.prank(carol);
        a.token.delegate(carol);
        assertEq(a.token.getVotes(carol), 300e18);
        assertEq(a.token.getPastVotes(alice, before), 1_000e18);
    }

    function testFuzz_VotesFollowMintAndBurn(uint256 minted, uint256 burned) public {
        minted = bound(minted, 1, 1e30);
        burned = bound(burned, 0, minted);
        uint256 supplyBefore = a.token.totalSupply();
        a.token.mint(alice, minted);
        assertEq(a.token.getVotes(alice), 1_000e18 + minted);
        vm.prank(alice);
        a.token.transfer(address(this), burned);
        a.token.burn(burned);
        assertEq(a.token.getVotes(alice), 1_000e18 + minted - burned);
        vm.roll(block.number + 1);
        assertEq(a.token.getPastTotalSupply(block.number - 1), supplyBefore + minted - burned);
    }

    function test_PoolBurnAndMintMoveVotesAcrossChains() public {
        Client.EVMTokenAmount[] memory amounts = new Client.EVMTokenAmount[](1);
        amounts[0] = Client.EVMTokenAmount({token: address(a.token), amount: 100e18});
        vm.recordLogs();
        vm.startPrank(alice);
        a.token.approve(address(a.router), 100e18);
        a.router
            .ccipSend(
                SELECTOR_B,
                Client.EVM2AnyMessage({
                    receiver: abi.encode(bob),
                    data: "",
                    tokenAmounts: amounts,
                    feeToken: address(0),
                    extraArgs: ""
                })
            );
        vm.stopPrank();
        // The source pool burned it: alice's votes and the voting supply drop.
        assertEq(a.token.getVotes(alice), 900e18);
        assertEq(a.token.totalSupply(), 900e18);

        LaneMessage.Message[] memory messages = _sentMessages();
        vm.prank(relayer);
        b.offRamp.execute(messages);
        // The destination pool minted it to bob, who votes with it there.
        assertEq(b.token.balanceOf(bob), 100e18);
        assertEq(b.token.getVotes(bob), 100e18);
        vm.roll(block.number + 1);
        assertEq(b.token.getPastTotalSupply(block.number - 1), 100e18);
    }

    function test_PermitApprovesBySignature() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
                ),
                alice,
                bob,
                5e18,
                a.token.nonces(alice),
                deadline
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", a.token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(aliceKey, digest);
        a.token.permit(alice, bob, 5e18, deadline, v, r, s);
        assertEq(a.token.allowance(alice, bob), 5e18);
        assertEq(a.token.nonces(alice), 1);
    }

    function test_ClockIsBlockNumberAndInterfacesAdvertised() public view {
        VigilToken token = a.token;
        assertEq(token.clock(), block.number);
        assertEq(token.CLOCK_MODE(), "mode=blocknumber&from=default");
        assertTrue(token.supportsInterface(type(IVotes).interfaceId));
        assertTrue(token.supportsInterface(type(IERC20Permit).interfaceId));
    }
}
