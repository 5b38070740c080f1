// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VigilRegistry} from "../../src/VigilRegistry.sol";
import {IVigilRegistry} from "../../src/interfaces/IVigilRegistry.sol";
import {VigilFixture} from "./VigilFixture.sol";
import {Ownable} from "@openzeppelin/contracts@5.3.0/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";

contract VigilRegistryTest is VigilFixture {
    bytes32 internal constant DEVICE = keccak256("device-1");
    bytes internal constant PEER_ID = hex"00240801122012345678";

    // ================================================================
    // Admin
    // ================================================================

    function test_ConstructorAndAdmin() public {
        assertEq(registry.token(), address(token));
        assertEq(registry.settlement(), address(settlement));
        assertEq(registry.unbondingDelay(), UNBONDING);
        assertEq(registry.minOperatorStake(), MIN_OPERATOR_STAKE);
        vm.startPrank(admin);
        registry.setUnbondingDelay(1 days);
        registry.setMinOperatorStake(5);
        vm.stopPrank();
        assertEq(registry.unbondingDelay(), 1 days);
        assertEq(registry.minOperatorStake(), 5);
    }

    function test_SetUnbondingDelayAtMinimum() public {
        uint64 minimum = registry.MIN_UNBONDING_DELAY();
        assertEq(minimum, 1 days);
        vm.expectEmit(address(registry));
        emit IVigilRegistry.UnbondingDelaySet(minimum);
        vm.prank(admin);
        registry.setUnbondingDelay(minimum);
        assertEq(registry.unbondingDelay(), minimum);
    }

    function test_RevertIf_UnbondingDelayBelowMinimum() public {
        uint64 minimum = registry.MIN_UNBONDING_DELAY();
        vm.startPrank(admin);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilRegistry.UnbondingDelayTooShort.selector, uint64(0), minimum)
        );
        registry.setUnbondingDelay(0);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilRegistry.UnbondingDelayTooShort.selector, minimum - 1, minimum)
        );
        registry.setUnbondingDelay(minimum - 1);
        vm.stopPrank();
        assertEq(registry.unbondingDelay(), UNBONDING, "unchanged");
    }

    function test_RevertIf_ConstructorZeroToken() public {
        vm.expectRevert(IVigilRegistry.ZeroAddress.selector);
        new VigilRegistry(IERC20(address(0)), admin, 1, 1);
    }

    function test_RevertIf_SettlementSetTwice() public {
        vm.expectRevert(
            abi.encodeWithSelector(IVigilRegistry.SettlementAlreadySet.selector, address(settlement))
        );
        vm.prank(admin);
        registry.setSettlement(alice);
    }

    function test_RevertIf_SettlementZero() public {
        VigilRegistry fresh = new VigilRegistry(IERC20(address(token)), admin, 1, 1);
        vm.expectRevert(IVigilRegistry.ZeroAddress.selector);
        vm.prank(admin);
        fresh.setSettlement(address(0));
    }

    function test_RevertIf_AdminNotOwner() public {
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.setSettlement(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.setUnbondingDelay(0);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.setMinOperatorStake(0);
        vm.stopPrank();
    }

    // ================================================================
    // Networks
    // ================================================================

    function test_RegisterNetwork() public {
        IVigilRegistry.NetworkParams memory p = _params();
        p.genesisTime = 0;
        vm.expectEmit(address(registry));
        IVigilRegistry.NetworkParams memory stored = p;
        stored.genesisTime = uint64(block.timestamp);
        emit IVigilRegistry.NetworkRegistered(2, alice, stored);
        vm.prank(alice);
        uint64 id = registry.registerNetwork(p);
        assertEq(id, 2);
        assertEq(registry.networkCount(), 2);
        IVigilRegistry.Network memory n = registry.getNetwork(id);
        assertEq(n.owner, alice);
        assertEq(n.genesisTime, block.timestamp);
        assertEq(n.epochLength, EPOCH_LENGTH);
        assertEq(n.rewardBudgetPerEpoch, BUDGET_PER_EPOCH);
        assertEq(n.stakePerDevice, STAKE_PER_DEVICE);
        assertEq(n.challengePolicyId, 7);
        assertEq(n.k, 3);
        (address owner, uint64 genesis, uint32 len, uint128 budget) = registry.epochParams(id);
        assertEq(owner, alice);
        assertEq(genesis, block.timestamp);
        assertEq(len, EPOCH_LENGTH);
        assertEq(budget, BUDGET_PER_EPOCH);
    }

    function test_RevertIf_RegisterNetworkInvalid() public {
        IVigilRegistry.NetworkParams memory p = _params();
        p.epochLength = 0;
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.InvalidNetworkParams.selector, 0, 3));
        registry.registerNetwork(p);
        p.epochLength = 60;
        p.k = 0;
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.InvalidNetworkParams.selector, 60, 0));
        registry.registerNetwork(p);
    }

    function test_UpdateAndTransferNetwork() public {
        vm.startPrank(networkOwner);
        registry.updateNetwork(networkId, 5, 6, 8, 4);
        registry.transferNetworkOwnership(networkId, alice);
        vm.stopPrank();
        IVigilRegistry.Network memory n = registry.getNetwork(networkId);
        assertEq(n.rewardBudgetPerEpoch, 5);
        assertEq(n.stakePerDevice, 6);
        assertEq(n.challengePolicyId, 8);
        assertEq(n.k, 4);
        assertEq(n.owner, alice);
    }

    function test_RevertIf_UpdateNetworkNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.NotNetworkOwner.selector, networkId, alice));
        vm.prank(alice);
        registry.updateNetwork(networkId, 1, 1, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.UnknownNetwork.selector, 9));
        registry.updateNetwork(9, 1, 1, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.InvalidNetworkParams.selector, EPOCH_LENGTH, 0));
        vm.prank(networkOwner);
        registry.updateNetwork(networkId, 1, 1, 1, 0);
    }

    function test_RevertIf_TransferNetworkInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.NotNetworkOwner.selector, networkId, alice));
        vm.prank(alice);
        registry.transferNetworkOwnership(networkId, alice);
        vm.expectRevert(IVigilRegistry.ZeroAddress.selector);
        vm.prank(networkOwner);
        registry.transferNetworkOwnership(networkId, address(0));
    }

    // ================================================================
    // Devices
    // ================================================================

    function test_RegisterDeviceLocksStake() public {
        _mint(bob, STAKE_PER_DEVICE);
        vm.startPrank(bob);
        token.approve(address(registry), STAKE_PER_DEVICE);
        vm.expectEmit(address(registry));
        emit IVigilRegistry.DeviceRegistered(networkId, DEVICE, alice, STAKE_PER_DEVICE);
        // A protocol may pay the stake for a device owner.
        registry.registerDevice(networkId, DEVICE, alice);
        vm.stopPrank();
        IVigilRegistry.Device memory d = registry.getDevice(DEVICE);
        assertEq(d.deviceId, DEVICE);
        assertEq(d.networkId, networkId);
        assertEq(uint8(d.status), uint8(IVigilRegistry.Status.Active));
        assertEq(d.owner, alice);
        assertEq(d.stake, STAKE_PER_DEVICE);
        assertEq(d.registeredAt, block.timestamp);
        assertEq(token.balanceOf(address(registry)), STAKE_PER_DEVICE);
        assertEq(registry.getNetwork(networkId).deviceCount, 1);
    }

    function test_RevertIf_RegisterDeviceInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.UnknownNetwork.selector, 9));
        registry.registerDevice(9, DEVICE, alice);
        vm.expectRevert(IVigilRegistry.ZeroAddress.selector);
        registry.registerDevice(networkId, DEVICE, address(0));
        _registerDevice(DEVICE, alice);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.DeviceAlreadyRegistered.selector, DEVICE));
        registry.registerDevice(networkId, DEVICE, alice);
    }

    function test_DeviceExitAfterUnbonding() public {
        _registerDevice(DEVICE, alice);
        vm.prank(alice);
        registry.requestDeviceExit(DEVICE);
        IVigilRegistry.Device memory d = registry.getDevice(DEVICE);
        assertEq(uint8(d.status), uint8(IVigilRegistry.Status.Exiting));
        assertEq(d.exitAvailableAt, block.timestamp + UNBONDING);

        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilRegistry.StillUnbonding.selector,
                uint64(block.timestamp + UNBONDING),
                uint64(block.timestamp)
            )
        );
        registry.withdrawDeviceStake(DEVICE);

        vm.warp(block.timestamp + UNBONDING);
        registry.withdrawDeviceStake(DEVICE);
        assertEq(token.balanceOf(alice), STAKE_PER_DEVICE);
        assertEq(uint8(registry.getDevice(DEVICE).status), uint8(IVigilRegistry.Status.Exited));
    }

    function test_RevertIf_DeviceExitInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.UnknownDevice.selector, DEVICE));
        registry.requestDeviceExit(DEVICE);
        _registerDevice(DEVICE, alice);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.NotDeviceOwner.selector, DEVICE, bob));
        vm.prank(bob);
        registry.requestDeviceExit(DEVICE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilRegistry.DeviceNotExiting.selector, DEVICE, IVigilRegistry.Status.Active
            )
        );
        registry.withdrawDeviceStake(DEVICE);
        vm.startPrank(alice);
        registry.requestDeviceExit(DEVICE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilRegistry.DeviceNotActive.selector, DEVICE, IVigilRegistry.Status.Exiting
            )
        );
        registry.requestDeviceExit(DEVICE);
        vm.stopPrank();
    }

    function test_GetNetworkDevicesPages() public {
        for (uint256 i = 0; i < 5; ++i) {
            _registerDevice(bytes32(i + 1), alice);
        }
        IVigilRegistry.Device[] memory page = registry.getNetworkDevices(networkId, 1, 3);
        assertEq(page.length, 3);
        assertEq(page[0].deviceId, bytes32(uint256(2)));
        assertEq(page[2].deviceId, bytes32(uint256(4)));
        assertEq(registry.getNetworkDevices(networkId, 4, 10).length, 1);
        assertEq(registry.getNetworkDevices(networkId, 5, 10).length, 0);
        assertEq(registry.getNetworkDevices(99, 0, 10).length, 0);
    }

    // ================================================================
    // Operators
    // ================================================================

    function test_RegisterOperator() public {
        address signer = makeAddr("signer");
        _mint(bob, MIN_OPERATOR_STAKE);
        vm.startPrank(bob);
        token.approve(address(registry), MIN_OPERATOR_STAKE);
        vm.expectEmit(address(registry));
        emit IVigilRegistry.OperatorRegistered(signer, bob, PEER_ID, MIN_OPERATOR_STAKE);
        registry.registerOperator(signer, PEER_ID, MIN_OPERATOR_STAKE);
        vm.stopPrank();
        IVigilRegistry.Operator memory op = registry.getOperator(signer);
        assertEq(op.signer, signer);
        assertEq(op.owner, bob);
        assertEq(op.stake, MIN_OPERATOR_STAKE);
        assertEq(op.peerId, PEER_ID);
        assertTrue(registry.isActiveSigner(signer));
        assertEq(registry.operatorCount(), 1);
        assertEq(registry.getActiveSigners()[0], signer);
    }

    function test_RevertIf_RegisterOperatorInvalid() public {
        vm.expectRevert(IVigilRegistry.ZeroAddress.selector);
        registry.registerOperator(address(0), PEER_ID, MIN_OPERATOR_STAKE);
        vm.expectRevert(IVigilRegistry.InvalidPeerId.selector);
        registry.registerOperator(alice, "", MIN_OPERATOR_STAKE);
        vm.expectRevert(IVigilRegistry.InvalidPeerId.selector);
        registry.registerOperator(alice, new bytes(129), MIN_OPERATOR_STAKE);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.StakeTooLow.selector, 1, MIN_OPERATOR_STAKE));
        registry.registerOperator(alice, PEER_ID, 1);
        _registerOperator(alice, bob, MIN_OPERATOR_STAKE);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.OperatorAlreadyRegistered.selector, alice));
        registry.registerOperator(alice, PEER_ID, MIN_OPERATOR_STAKE);
    }

    function test_OperatorPeerIdAndStake() public {
        _registerOperator(alice, bob, MIN_OPERATOR_STAKE);
        vm.prank(bob);
        registry.updateOperatorPeerId(alice, PEER_ID);
        assertEq(registry.getOperator(alice).peerId, PEER_ID);
        _mint(admin, 5);
        vm.startPrank(admin);
        token.approve(address(registry), 5);
        registry.addOperatorStake(alice, 5);
        vm.stopPrank();
        assertEq(registry.getOperator(alice).stake, MIN_OPERATOR_STAKE + 5);
    }

    function test_RevertIf_OperatorUpdatesInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.UnknownOperator.selector, alice));
        registry.updateOperatorPeerId(alice, PEER_ID);
        _registerOperator(alice, bob, MIN_OPERATOR_STAKE);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilRegistry.NotOperatorOwner.selector, alice, address(this))
        );
        registry.updateOperatorPeerId(alice, PEER_ID);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.StakeTooLow.selector, 0, 1));
        registry.addOperatorStake(alice, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilRegistry.OperatorNotActive.selector, bob, IVigilRegistry.Status.None)
        );
        registry.addOperatorStake(bob, 1);
    }

    function test_OperatorExitAfterUnbonding() public {
        _registerOperator(alice, bob, MIN_OPERATOR_STAKE);
        vm.prank(bob);
        registry.requestOperatorExit(alice);
        assertFalse(registry.isActiveSigner(alice));
        assertEq(registry.getActiveSigners().length, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilRegistry.StillUnbonding.selector,
                uint64(block.timestamp + UNBONDING),
                uint64(block.timestamp)
            )
        );
        registry.withdrawOperatorStake(alice);
        vm.warp(block.timestamp + UNBONDING);
        registry.withdrawOperatorStake(alice);
        assertEq(token.balanceOf(bob), MIN_OPERATOR_STAKE);
        assertEq(uint8(registry.getOperator(alice).status), uint8(IVigilRegistry.Status.Exited));
    }

    function test_RevertIf_OperatorExitInvalid() public {
        _registerOperator(alice, bob, MIN_OPERATOR_STAKE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilRegistry.OperatorNotExiting.selector, alice, IVigilRegistry.Status.Active
            )
        );
        registry.withdrawOperatorStake(alice);
        vm.startPrank(bob);
        registry.requestOperatorExit(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilRegistry.OperatorNotActive.selector, alice, IVigilRegistry.Status.Exiting
            )
        );
        registry.requestOperatorExit(alice);
        vm.stopPrank();
    }

    function test_GetOperatorsPages() public {
        for (uint256 i = 1; i <= 4; ++i) {
            _registerOperator(address(uint160(i)), bob, MIN_OPERATOR_STAKE);
        }
        vm.prank(bob);
        registry.requestOperatorExit(address(2));
        IVigilRegistry.Operator[] memory page = registry.getOperators(2, 5);
        assertEq(page.length, 2);
        assertEq(page[0].signer, address(3));
        address[] memory active = registry.getActiveSigners();
        assertEq(active.length, 3);
        assertEq(active[1], address(3));
        assertEq(registry.getOperators(4, 1).length, 0);
    }

    // ================================================================
    // Slashing
    // ================================================================

    function test_RevertIf_SlashNotSettlement() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.NotSettlement.selector, address(this)));
        registry.slashDevice(networkId, DEVICE, 1);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.NotSettlement.selector, address(this)));
        registry.slashOperator(alice);
    }

    function testFuzz_SlashNeverExceedsStake(uint256 first, uint256 second) public {
        _registerDevice(DEVICE, alice);
        vm.startPrank(address(settlement));
        uint256 a = registry.slashDevice(networkId, DEVICE, first);
        uint256 b = registry.slashDevice(networkId, DEVICE, second);
        vm.stopPrank();
        assertLe(a + b, STAKE_PER_DEVICE);
        IVigilRegistry.Device memory d = registry.getDevice(DEVICE);
        assertEq(d.stake + d.slashed, STAKE_PER_DEVICE);
        assertEq(d.slashed, a + b);
        assertEq(token.balanceOf(address(settlement)) - 10_000e18, a + b);
    }

    function test_SlashDeviceOfOtherNetworkTakesNothing() public {
        _registerDevice(DEVICE, alice);
        vm.prank(address(settlement));
        assertEq(registry.slashDevice(networkId + 1, DEVICE, 1), 0);
        assertEq(registry.getDevice(DEVICE).stake, STAKE_PER_DEVICE);
    }

    function test_SlashedDeviceWithdrawsRemainder() public {
        _registerDevice(DEVICE, alice);
        vm.prank(address(settlement));
        registry.slashDevice(networkId, DEVICE, 3e18);
        vm.prank(alice);
        registry.requestDeviceExit(DEVICE);
        vm.warp(block.timestamp + UNBONDING);
        registry.withdrawDeviceStake(DEVICE);
        assertEq(token.balanceOf(alice), STAKE_PER_DEVICE - 3e18);
    }
}
