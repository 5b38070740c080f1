// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGuardianPausable
/// @notice An emergency brake held by a guardian key that can only pull it. The guardian pauses; only the owner
/// (the governance timelock) unpauses or names another guardian. What a pause stops, and what it never stops, is
/// listed on each contract's `pause`.
interface IGuardianPausable {
    event GuardianSet(address indexed previousGuardian, address indexed newGuardian);

    /// The caller is neither the guardian nor the owner.
    error NotGuardian(address caller);

    /// @notice The address that may pause (zero: only the owner may).
    function guardian() external view returns (address);

    /// @notice Names the guardian (zero removes it). Owner only.
    function setGuardian(address newGuardian) external;

    /// @notice Pauses the entry points marked `whenNotPaused`. Guardian or owner.
    function pause() external;

    /// @notice Lifts a pause. Owner only: a guardian key that could also unpause could undo the brake it holds.
    function unpause() external;
}
