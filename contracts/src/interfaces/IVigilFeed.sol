// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IVigilFeed
/// @notice The verified feed: settled epoch results of a DePIN network and their per-device lines,
/// which a protocol contract checks with a Merkle proof (see docs/interfaces.md, "Device line").
interface IVigilFeed {
    /// @notice One device's result in one epoch: a leaf of the epoch's `StandardMerkleTree`, leaf types
    /// `["uint64","uint64","bytes32","address","uint32","uint64","uint256","uint256"]` in this order.
    struct DeviceLine {
        uint64 networkId;
        uint64 epoch;
        /// The device's raw 32-byte Ed25519 public key.
        bytes32 deviceId;
        /// Receives the reward.
        address owner;
        /// Uptime in basis points, 0..10000.
        uint32 uptimeBps;
        /// Verified work units.
        uint64 work;
        uint256 reward;
        uint256 slash;
    }

    /// @notice What the settlement contract stores for a settled (network, epoch).
    struct EpochResult {
        /// Merkle root over the epoch's device lines.
        bytes32 resultRoot;
        /// Commitment to the signed observations the result was computed from.
        bytes32 observationsCommitment;
        /// Reward tokens funded for the epoch from the network's budget.
        uint128 totalReward;
        /// Reward tokens claimed so far; never exceeds `totalReward`.
        uint128 claimed;
        /// Device slashes the report listed (sum of `DeviceSlash.amount`).
        uint128 totalSlash;
        uint32 deviceCount;
        /// Block timestamp of the settlement; 0 while the epoch is not settled.
        uint64 settledAt;
    }

    /// @notice No epoch of `networkId` has been settled yet.
    error NoEpochSettled(uint64 networkId);
    /// @notice `epoch` of `networkId` has not been settled.
    error EpochNotSettled(uint64 networkId, uint64 epoch);

    /// @notice The last settled epoch of a network. Reverts with `NoEpochSettled` if there is none.
    function latestEpoch(uint64 networkId) external view returns (uint64 epoch);

    /// @notice The stored result of a settled epoch. Reverts with `EpochNotSettled` if it is not settled.
    function epochResult(uint64 networkId, uint64 epoch) external view returns (EpochResult memory);

    /// @notice Whether `line` is part of the settled result of (`networkId`, `epoch`).
    /// @dev False (no revert) for an unsettled epoch, a wrong proof, or a line of another network/epoch.
    function verifyLine(uint64 networkId, uint64 epoch, DeviceLine calldata line, bytes32[] calldata proof)
        external
        view
        returns (bool);
}
