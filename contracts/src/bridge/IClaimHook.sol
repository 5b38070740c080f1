// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The settlement contract's claim hook, as pinned in docs/interfaces.md. Declared here until
/// `contracts/src/interfaces/IClaimHook.sol` lands; the selector is the same either way.
interface IClaimHook {
    /// Called by the settlement contract after it transferred `amount` reward tokens to the hook.
    function onVigilClaim(address claimant, uint256 amount, bytes calldata data)
        external
        returns (bytes32 ref);
}
