// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VigilRegistry} from "../../src/VigilRegistry.sol";
import {VigilSettlement} from "../../src/VigilSettlement.sol";
import {GovernanceFixture} from "./GovernanceFixture.sol";
import {KeystoneForwarder} from "@chainlink/contracts/src/v0.8/keystone/KeystoneForwarder.sol";
import {TimelockController} from "@openzeppelin/contracts@5.3.0/governance/TimelockController.sol";
import {Test} from "forge-std/Test.sol";

/// Calls every owner power of the governed contracts, and the guardian's pause, from keys that are not the
/// timelock: the old owner, the guardian, the voter, the governor and any fuzzed address.
contract OwnerPowerHandler is Test {
    VigilRegistry internal immutable registry;
    VigilSettlement internal immutable settlement;
    KeystoneForwarder internal immutable forwarder;
    TimelockController internal immutable timelock;
    address[] internal keys;
    address[] internal signers;

    uint256 public succeeded;
    /// Storage writes to the forwarder by any call here (it has no getter for its DON configs).
    uint256 public forwarderWrites;
    /// Times a call here turned a paused contract back on.
    uint256 public unpaused;

    constructor(
        VigilRegistry registry_,
        VigilSettlement settlement_,
        KeystoneForwarder forwarder_,
        TimelockController timelock_,
        address[] memory keys_
    ) {
        registry = registry_;
        settlement = settlement_;
        forwarder = forwarder_;
        timelock = timelock_;
        keys = keys_;
        signers.push(address(0xbad));
        signers.push(address(0xbad1));
        signers.push(address(0xbad2));
        signers.push(address(0xbad3));
    }

    function _caller(uint256 seed, address fuzzed) internal view returns (address caller) {
        uint256 i = seed % (keys.length + 1);
        caller = i == keys.length ? fuzzed : keys[i];
        if (caller == address(timelock)) caller = address(0xdead);
    }

    function callOwnerPower(uint256 keySeed, address fuzzed, uint256 which, address arg, uint64 value)
        external
    {
        address target;
        bytes memory data;
        which = bound(which, 0, 21);
        if (which == 0) {
            (target, data) = (address(registry), abi.encodeCall(registry.setUnbondingDelay, (value)));
        } else if (which == 1) {
            (target, data) = (address(registry), abi.encodeCall(registry.setMinOperatorStake, (value)));
        } else if (which == 2) {
            (target, data) = (address(registry), abi.encodeCall(registry.setSettlement, (arg)));
        } else if (which == 3) {
            (target, data) = (address(registry), abi.encodeCall(registry.transferOwnership, (arg)));
        } else if (which == 4) {
            (target, data) = (address(registry), abi.encodeCall(registry.renounceOwnership, ()));
        } else if (which == 5) {
            (target, data) = (address(registry), abi.encodeCall(registry.setGuardian, (arg)));
        } else if (which == 6) {
            (target, data) = (address(registry), abi.encodeCall(registry.unpause, ()));
        } else if (which == 7) {
            (target, data) =
            (address(settlement), abi.encodeCall(settlement.setWorkflow, (1, arg, bytes10(bytes20(arg)))));
        } else if (which == 8) {
            (target, data) = (address(settlement), abi.encodeCall(settlement.setForwarder, (arg)));
        } else if (which == 9) {
            (target, data) = (address(settlement), abi.encodeCall(settlement.setTreasury, (arg)));
        } else if (which == 10) {
            (target, data) =
            (address(settlement), abi.encodeCall(settlement.setReporterRewardBps, (uint16(value % 10_001))));
        } else if (which == 11) {
            (target, data) = (address(settlement), abi.encodeCall(settlement.transferOwnership, (arg)));
        } else if (which == 12) {
            (target, data) = (address(settlement), abi.encodeCall(settlement.renounceOwnership, ()));
        } else if (which == 13) {
            (target, data) = (address(settlement), abi.encodeCall(settlement.setGuardian, (arg)));
        } else if (which == 14) {
            (target, data) = (address(settlement), abi.encodeCall(settlement.unpause, ()));
        } else if (which == 15) {
            (target, data) =
            (address(forwarder), abi.encodeCall(forwarder.setConfig, (1, uint32(value), 1, signers)));
        } else if (which == 16) {
            (target, data) = (address(forwarder), abi.encodeCall(forwarder.clearConfig, (1, 1)));
        } else if (which == 17) {
            (target, data) = (address(forwarder), abi.encodeCall(forwarder.addForwarder, (arg)));
        } else if (which == 18) {
            (target, data) =
            (address(forwarder), abi.encodeCall(forwarder.removeForwarder, (address(forwarder))));
        } else if (which == 19) {
            (target, data) = (address(forwarder), abi.encodeCall(forwarder.transferOwnership, (arg)));
        } else if (which == 20) {
            (target, data) = (address(timelock), abi.encodeCall(timelock.updateDelay, (value)));
        } else {
            (target, data) =
            (address(timelock), abi.encodeCall(timelock.grantRole, (timelock.PROPOSER_ROLE(), arg)));
        }

        bool registryPaused = registry.paused();
        bool settlementPaused = settlement.paused();
        vm.record();
        vm.prank(_caller(keySeed, fuzzed));
        (bool ok,) = target.call(data);
        (, bytes32[] memory writes) = vm.accesses(address(forwarder));
        forwarderWrites += writes.length;
        if (ok) ++succeeded;
        if ((registryPaused && !registry.paused()) || (settlementPaused && !settlement.paused())) ++unpaused;
    }

    /// The guardian's one power: it may pause whenever it likes.
    function pause(uint256 keySeed, address fuzzed, bool onRegistry) external {
        address caller = _caller(keySeed, fuzzed);
        vm.prank(caller);
        if (onRegistry) {
            try registry.pause() {} catch {}
        } else {
            try settlement.pause() {} catch {}
        }
    }
}

/// No key but the timelock changes settlement, registry or forwarder configuration, whatever it calls.
contract GovernanceInvariantsTest is GovernanceFixture {
    OwnerPowerHandler internal handler;
    bytes32 internal configBefore;

    function setUp() public override {
        super.setUp();
        address[] memory keys = new address[](5);
        keys[0] = admin;
        keys[1] = guardian;
        keys[2] = voter;
        keys[3] = address(governor);
        keys[4] = networkOwner;
        handler = new OwnerPowerHandler(registry, settlement, forwarder, timelock, keys);
        configBefore = _config();
        targetContract(address(handler));
    }

    /// Everything an owner could change, in one hash (the forwarder's DON configs are watched by storage writes).
    function _config() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                abi.encode(
                    registry.owner(),
                    registry.pendingOwner(),
                    registry.guardian(),
                    registry.settlement(),
                    registry.unbondingDelay(),
                    registry.minOperatorStake()
                ),
                abi.encode(
                    settlement.owner(),
                    settlement.pendingOwner(),
                    settlement.guardian(),
                    settlement.forwarder(),
                    settlement.treasury(),
                    settlement.reporterRewardBps(),
                    settlement.workflow(1),
                    settlement.workflow(2)
                ),
                abi.encode(
                    forwarder.owner(),
                    forwarder.isForwarder(address(forwarder)),
                    timelock.getMinDelay(),
                    governor.quorumNumerator(),
                    governor.votingPeriod()
                )
            )
        );
    }

    function invariant_NoKeyButTheTimelockChangesConfig() public view {
        assertEq(_config(), configBefore);
        assertEq(handler.succeeded(), 0);
        assertEq(handler.forwarderWrites(), 0);
    }

    /// A pause, once pulled (by the guardian), stays until a proposal lifts it.
    function invariant_OnlyTheTimelockUnpauses() public view {
        assertEq(handler.unpaused(), 0);
    }
}
