// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VigilRegistry} from "../../src/VigilRegistry.sol";
import {VigilSettlement} from "../../src/VigilSettlement.sol";
import {IVigilFeed} from "../../src/interfaces/IVigilFeed.sol";
import {IVigilRegistry} from "../../src/interfaces/IVigilRegistry.sol";
import {IVigilSettlement} from "../../src/interfaces/IVigilSettlement.sol";
import {VigilToken} from "../../src/token/VigilToken.sol";
import {KeystoneForwarder} from "@chainlink/contracts/src/v0.8/keystone/KeystoneForwarder.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";
import {Hashes} from "@openzeppelin/contracts@5.3.0/utils/cryptography/Hashes.sol";
import {Test} from "forge-std/Test.sol";

/// A Merkle tree with OZ's commutative pair hashing (what `MerkleProof` verifies); an odd node is carried up.
library CommutativeTree {
    /// Root of a commutative-hash tree over `leaves` (an odd node is carried up unchanged).
    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            level = up(level);
        }
        return level[0];
    }

    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory p) {
        p = new bytes32[](32);
        uint256 n;
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < level.length) p[n++] = level[sibling];
            level = up(level);
            index /= 2;
        }
        assembly {
            mstore(p, n)
        }
    }

    function up(bytes32[] memory level) private pure returns (bytes32[] memory next) {
        next = new bytes32[]((level.length + 1) / 2);
        for (uint256 i = 0; i < next.length; ++i) {
            uint256 left = 2 * i;
            next[i] = left + 1 < level.length
                ? Hashes.commutativeKeccak256(level[left], level[left + 1])
                : level[left];
        }
    }
}

/// Shared deployment and helpers: the real token, registry, settlement and KeystoneForwarder, a network with a
/// deposited budget, and a small in-Solidity Merkle tree built with the same commutative hashing as OZ.
abstract contract VigilFixture is Test {
    uint32 internal constant EPOCH_LENGTH = 1 hours;
    uint128 internal constant BUDGET_PER_EPOCH = 1_000e18;
    uint128 internal constant STAKE_PER_DEVICE = 10e18;
    uint128 internal constant MIN_OPERATOR_STAKE = 100e18;
    uint64 internal constant UNBONDING = 7 days;
    uint16 internal constant REPORTER_BPS = 5_000;
    uint32 internal constant DON_ID = 1;
    uint32 internal constant CONFIG_VERSION = 1;
    uint8 internal constant F = 1;
    bytes10 internal constant SETTLE_NAME = bytes10("vigil-sett");
    bytes10 internal constant SLASH_NAME = bytes10("vigil-slsh");

    address internal admin = makeAddr("admin");
    address internal networkOwner = makeAddr("networkOwner");
    address internal workflowOwner = makeAddr("workflowOwner");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal treasury;

    VigilToken internal token;
    VigilRegistry internal registry;
    VigilSettlement internal settlement;
    KeystoneForwarder internal forwarder;
    uint64 internal networkId;

    uint256[] internal signerKeys;
    address[] internal signers;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        token = new VigilToken(admin, 0);
        vm.prank(admin);
        token.grantMintAndBurnRoles(admin);

        vm.prank(admin);
        forwarder = new KeystoneForwarder();
        for (uint256 i = 0; i < 4; ++i) {
            (address signer, uint256 key) = makeAddrAndKey(string.concat("don-signer-", vm.toString(i)));
            signers.push(signer);
            signerKeys.push(key);
        }
        vm.prank(admin);
        forwarder.setConfig(DON_ID, CONFIG_VERSION, F, signers);

        registry = new VigilRegistry(IERC20(address(token)), admin, UNBONDING, MIN_OPERATOR_STAKE);
        settlement = new VigilSettlement(registry, address(forwarder), admin, REPORTER_BPS);
        treasury = admin;
        vm.startPrank(admin);
        registry.setSettlement(address(settlement));
        settlement.setWorkflow(1, workflowOwner, SETTLE_NAME);
        settlement.setWorkflow(2, workflowOwner, SLASH_NAME);
        vm.stopPrank();

        vm.prank(networkOwner);
        networkId = registry.registerNetwork(_params());
        _mint(networkOwner, 100_000e18);
        vm.startPrank(networkOwner);
        token.approve(address(settlement), type(uint256).max);
        settlement.depositBudget(networkId, 10_000e18);
        vm.stopPrank();
    }

    function _params() internal view returns (IVigilRegistry.NetworkParams memory) {
        return IVigilRegistry.NetworkParams({
            rewardBudgetPerEpoch: BUDGET_PER_EPOCH,
            stakePerDevice: STAKE_PER_DEVICE,
            epochLength: EPOCH_LENGTH,
            genesisTime: uint64(block.timestamp),
            challengePolicyId: 7,
            k: 3
        });
    }

    function _mint(address to, uint256 amount) internal {
        vm.prank(admin);
        token.mint(to, amount);
    }

    function _registerDevice(bytes32 deviceId, address owner) internal {
        _mint(owner, STAKE_PER_DEVICE);
        vm.startPrank(owner);
        token.approve(address(registry), STAKE_PER_DEVICE);
        registry.registerDevice(networkId, deviceId, owner);
        vm.stopPrank();
    }

    function _registerOperator(address signer, address owner, uint128 stake) internal {
        _mint(owner, stake);
        vm.startPrank(owner);
        token.approve(address(registry), stake);
        registry.registerOperator(signer, hex"0024080112201234", stake);
        vm.stopPrank();
    }

    // ----- lines and trees -----

    function _line(uint64 epoch, bytes32 deviceId, address owner, uint256 reward)
        internal
        view
        returns (IVigilFeed.DeviceLine memory)
    {
        return IVigilFeed.DeviceLine({
            networkId: networkId,
            epoch: epoch,
            deviceId: deviceId,
            owner: owner,
            uptimeBps: 9_950,
            work: 1_000,
            reward: reward,
            slash: 0
        });
    }

    function _leaf(IVigilFeed.DeviceLine memory line) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(line))));
    }

    function _root(bytes32[] memory leaves) internal pure returns (bytes32) {
        return CommutativeTree.root(leaves);
    }

    function _proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory) {
        return CommutativeTree.proof(leaves, index);
    }

    // ----- reports -----

    function _settlement(uint64 epoch, bytes32 root, uint256 totalReward)
        internal
        view
        returns (IVigilSettlement.EpochSettlement memory s)
    {
        s.networkId = networkId;
        s.epoch = epoch;
        s.resultRoot = root;
        s.deviceCount = 2;
        if (root != bytes32(0)) s.qualifiedCount = 2;
        s.totalReward = totalReward;
        s.totalSlash = 0;
        s.slashes = new IVigilSettlement.DeviceSlash[](0);
        // A certified result carries the observations it was computed from; a zero root (timeout) none.
        if (root == bytes32(0)) {
            s.observationsCommitment = keccak256(abi.encode("observations", epoch));
            s.observations = new IVigilSettlement.ObservationRef[](0);
        } else {
            s.observations = _observations(epoch);
            s.observationsCommitment = _observationsCommitment(s.observations);
        }
    }

    /// Two observations by fixed (unregistered) observers, ascending by observer.
    function _observations(uint64 epoch)
        internal
        pure
        returns (IVigilSettlement.ObservationRef[] memory obs)
    {
        obs = new IVigilSettlement.ObservationRef[](2);
        obs[0] = IVigilSettlement.ObservationRef(
            address(0x0b5e01), keccak256(abi.encode("observation", epoch, 0))
        );
        obs[1] = IVigilSettlement.ObservationRef(
            address(0x0b5e02), keccak256(abi.encode("observation", epoch, 1))
        );
    }

    /// `keccak256(observer_0 | hash_0 | observer_1 | hash_1 | ...)`, built with `abi.encodePacked` step by step
    /// (independently of the contract's assembly).
    function _observationsCommitment(IVigilSettlement.ObservationRef[] memory obs)
        internal
        pure
        returns (bytes32)
    {
        bytes memory packed;
        for (uint256 i = 0; i < obs.length; ++i) {
            packed = abi.encodePacked(packed, obs[i].observer, obs[i].hash);
        }
        return keccak256(packed);
    }

    function _settleBody(IVigilSettlement.EpochSettlement memory s) internal pure returns (bytes memory) {
        return abi.encode(uint8(1), abi.encode(s));
    }

    function _slashBody(uint64 epoch, IVigilSettlement.DeviceSlash memory slash, uint64 net)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(uint8(2), abi.encode(net, epoch, slash));
    }

    /// What the forwarder passes to `onReport`: workflow_cid | workflow_name | workflow_owner | report_id.
    function _metadata(bytes10 name, address owner) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes32(uint256(0xc1d)), name, owner, bytes2(0x0001));
    }

    /// Delivers a report as the forwarder would (no signature checks).
    function _deliver(bytes10 name, bytes memory body) internal {
        vm.prank(address(forwarder));
        settlement.onReport(_metadata(name, workflowOwner), body);
    }

    function _warpPastEpoch(uint64 epoch) internal {
        uint256 end =
            uint256(registry.getNetwork(networkId).genesisTime) + (uint256(epoch) + 1) * EPOCH_LENGTH;
        if (block.timestamp < end) vm.warp(end);
    }

    /// Settles `epoch` with two lines (alice, bob) and returns them with their tree leaves.
    function _settleTwo(uint64 epoch, uint256 rewardA, uint256 rewardB)
        internal
        returns (IVigilFeed.DeviceLine[] memory lines, bytes32[] memory leaves)
    {
        lines = new IVigilFeed.DeviceLine[](2);
        lines[0] = _line(epoch, keccak256("device-a"), alice, rewardA);
        lines[1] = _line(epoch, keccak256("device-b"), bob, rewardB);
        leaves = new bytes32[](2);
        leaves[0] = _leaf(lines[0]);
        leaves[1] = _leaf(lines[1]);
        _warpPastEpoch(epoch);
        _deliver(SETTLE_NAME, _settleBody(_settlement(epoch, _root(leaves), rewardA + rewardB)));
    }

    // ----- forwarder -----

    function _rawReport(bytes32 executionId, bytes10 name, address owner, bytes memory body)
        internal
        view
        returns (bytes memory)
    {
        return abi.encodePacked(
            uint8(1),
            executionId,
            uint32(block.timestamp),
            DON_ID,
            CONFIG_VERSION,
            bytes32(uint256(0xc1d)),
            name,
            owner,
            bytes2(0x0001),
            body
        );
    }

    function _sign(uint256 key, bytes memory rawReport, bytes memory context)
        internal
        pure
        returns (bytes memory)
    {
        bytes32 digest = keccak256(abi.encodePacked(keccak256(rawReport), context));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v - 27);
    }

    function _signAll(uint256[] memory keys, bytes memory rawReport, bytes memory context)
        internal
        pure
        returns (bytes[] memory sigs)
    {
        sigs = new bytes[](keys.length);
        for (uint256 i = 0; i < keys.length; ++i) {
            sigs[i] = _sign(keys[i], rawReport, context);
        }
    }

    function _firstKeys(uint256 n) internal view returns (uint256[] memory keys) {
        keys = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            keys[i] = signerKeys[i];
        }
    }
}
