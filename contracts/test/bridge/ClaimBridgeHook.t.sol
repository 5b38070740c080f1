// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClaimBridgeHook} from "../../src/bridge/ClaimBridgeHook.sol";
import {VigilToken} from "../../src/token/VigilToken.sol";
import {IRouterClient} from "@chainlink/contracts-ccip/contracts/interfaces/IRouterClient.sol";
import {CCIPLocalSimulator} from "@chainlink/local/src/ccip/CCIPLocalSimulator.sol";
import {Ownable} from "@openzeppelin/contracts@5.3.0/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";
import {Test} from "forge-std/Test.sol";

/// The hook against Chainlink Local's `CCIPLocalSimulator`: the router interface a real chain has,
/// delivering on the same chain (no pools).
contract ClaimBridgeHookSimulatorTest is Test {
    CCIPLocalSimulator internal simulator;
    IRouterClient internal simRouter;
    uint64 internal simSelector;
    VigilToken internal token;
    ClaimBridgeHook internal hook;
    address internal settlement = makeAddr("settlement");
    address internal claimant = makeAddr("claimant");
    address internal receiver = makeAddr("receiver");

    function setUp() public {
        simulator = new CCIPLocalSimulator();
        // Decoded by hand: the simulator's return types come from its own (1.6.2) contracts-ccip copy.
        (bool ok, bytes memory ret) =
            address(simulator).staticcall(abi.encodeWithSignature("configuration()"));
        require(ok, "configuration");
        address sourceRouter;
        (simSelector, sourceRouter) = abi.decode(ret, (uint64, address));
        simRouter = IRouterClient(sourceRouter);
        token = new VigilToken(address(this), 0);
        token.grantMintAndBurnRoles(address(this));
        hook = new ClaimBridgeHook(simRouter, IERC20(address(token)), settlement);
    }

    /// What the settlement contract does in claimAndCall: transfer, then call the hook.
    function _claimThroughHook(ClaimBridgeHook h, VigilToken t, uint64 dest, uint256 amount)
        internal
        returns (bytes32)
    {
        t.mint(address(h), amount);
        vm.prank(settlement);
        return h.onVigilClaim(claimant, amount, abi.encode(dest, receiver));
    }

    function test_SimulatorDeliversClaim() public {
        token.mint(address(hook), 42e18);
        vm.expectEmit(true, true, false, false, address(hook));
        emit ClaimBridgeHook.ClaimBridged(claimant, simSelector, receiver, 42e18, bytes32(0));
        vm.prank(settlement);
        bytes32 id = hook.onVigilClaim(claimant, 42e18, abi.encode(simSelector, receiver));
        assertTrue(id != bytes32(0));
        assertEq(token.balanceOf(receiver), 42e18, "receiver credited by the simulator");
        assertEq(token.balanceOf(address(hook)), 0, "hook keeps nothing");
    }

    function test_SimulatorFeePaidFromHookBalance() public {
        (bool ok,) = address(simRouter).call(abi.encodeWithSignature("setFee(uint256)", 0.01 ether));
        require(ok, "setFee");
        hook.setMaxFeePerClaim(0.01 ether);
        token.mint(address(hook), 1e18);
        vm.prank(settlement);
        vm.expectRevert(
            abi.encodeWithSelector(ClaimBridgeHook.InsufficientFeeBalance.selector, 0.01 ether, 0)
        );
        hook.onVigilClaim(claimant, 1e18, abi.encode(simSelector, receiver));

        vm.deal(address(hook), 1 ether);
        vm.prank(settlement);
        hook.onVigilClaim(claimant, 1e18, abi.encode(simSelector, receiver));
        assertEq(address(hook).balance, 1 ether - 0.01 ether);
        assertEq(token.balanceOf(receiver), 1e18);
    }

    function test_RevertIf_FeeAboveLimit() public {
        (bool ok,) = address(simRouter).call(abi.encodeWithSignature("setFee(uint256)", 0.01 ether));
        require(ok, "setFee");
        vm.deal(address(hook), 1 ether);
        token.mint(address(hook), 1e18);
        // The limit starts at 0: a funded hook still pays no fee until its owner sets one.
        vm.prank(settlement);
        vm.expectRevert(abi.encodeWithSelector(ClaimBridgeHook.FeeAboveLimit.selector, 0.01 ether, 0));
        hook.onVigilClaim(claimant, 1e18, abi.encode(simSelector, receiver));

        hook.setMaxFeePerClaim(0.01 ether - 1);
        vm.prank(settlement);
        vm.expectRevert(
            abi.encodeWithSelector(ClaimBridgeHook.FeeAboveLimit.selector, 0.01 ether, 0.01 ether - 1)
        );
        hook.onVigilClaim(claimant, 1e18, abi.encode(simSelector, receiver));
        assertEq(address(hook).balance, 1 ether, "nothing spent");
    }

    function test_SetMaxFeePerClaim() public {
        vm.expectEmit(address(hook));
        emit ClaimBridgeHook.MaxFeePerClaimSet(0.05 ether);
        hook.setMaxFeePerClaim(0.05 ether);
        assertEq(hook.maxFeePerClaim(), 0.05 ether);
        assertEq(hook.owner(), address(this), "the deployer owns the hook");
    }

    function test_RevertIf_SetMaxFeePerClaimNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, claimant));
        vm.prank(claimant);
        hook.setMaxFeePerClaim(1 ether);
    }

    function test_WithdrawFees() public {
        vm.deal(address(hook), 1 ether);
        address payable to = payable(makeAddr("treasury"));
        vm.expectEmit(address(hook));
        emit ClaimBridgeHook.FeesWithdrawn(to, 0.4 ether);
        hook.withdrawFees(to, 0.4 ether);
        assertEq(to.balance, 0.4 ether);
        assertEq(address(hook).balance, 0.6 ether);
    }

    function test_RevertIf_WithdrawFeesNotOwner() public {
        vm.deal(address(hook), 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, claimant));
        vm.prank(claimant);
        hook.withdrawFees(payable(claimant), 1 ether);
    }

    function test_RevertIf_WithdrawFeesToZeroAddress() public {
        vm.deal(address(hook), 1 ether);
        vm.expectRevert(ClaimBridgeHook.ZeroAddress.selector);
        hook.withdrawFees(payable(address(0)), 1 ether);
    }

    function test_RevertIf_WithdrawFeesAboveBalance() public {
        vm.deal(address(hook), 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(ClaimBridgeHook.InsufficientFeeBalance.selector, 2 ether, 1 ether)
        );
        hook.withdrawFees(payable(claimant), 2 ether);
    }

    function test_RevertIf_WithdrawFeesRecipientRejects() public {
        vm.deal(address(hook), 1 ether);
        // The token contract has no receive function: it refuses native currency.
        address payable to = payable(address(token));
        vm.expectRevert(abi.encodeWithSelector(ClaimBridgeHook.FeeWithdrawalFailed.selector, to, 1 ether));
        hook.withdrawFees(to, 1 ether);
    }

    function test_RevertIf_ConstructorZeroAddress() public {
        vm.expectRevert(ClaimBridgeHook.ZeroAddress.selector);
        new ClaimBridgeHook(IRouterClient(address(0)), IERC20(address(token)), settlement);
        vm.expectRevert(ClaimBridgeHook.ZeroAddress.selector);
        new ClaimBridgeHook(simRouter, IERC20(address(0)), settlement);
        vm.expectRevert(ClaimBridgeHook.ZeroAddress.selector);
        new ClaimBridgeHook(simRouter, IERC20(address(token)), address(0));
    }

    function test_RevertIf_CallerIsNotSettlement() public {
        token.mint(address(hook), 1e18);
        vm.expectRevert(abi.encodeWithSelector(ClaimBridgeHook.OnlySettlement.selector, address(this)));
        hook.onVigilClaim(claimant, 1e18, abi.encode(simSelector, receiver));
    }

    function test_RevertIf_ReceiverIsZero() public {
        token.mint(address(hook), 1e18);
        vm.prank(settlement);
        vm.expectRevert(ClaimBridgeHook.InvalidReceiver.selector);
        hook.onVigilClaim(claimant, 1e18, abi.encode(simSelector, address(0)));
    }
}
