// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IClaimHook
/// @notice A contract that receives a device reward in the same transaction as its claim
/// (`IVigilSettlement.claimAndCall`). The CCIP bridge implements it to claim and bridge in one call.
interface IClaimHook {
    /// @notice Called by the settlement contract after it transferred `amount` reward tokens to the hook.
    /// @param claimant The owner of the claimed device line (the caller of `claimAndCall`).
    /// @param amount Reward tokens now held by the hook.
    /// @param data Opaque data passed through from `claimAndCall` (the bridge: `abi.encode(uint64 destChainSelector, address receiver)`).
    /// @return ref A reference the hook chooses (the bridge: the CCIP message id), emitted by the settlement contract.
    function onVigilClaim(address claimant, uint256 amount, bytes calldata data)
        external
        returns (bytes32 ref);
}
