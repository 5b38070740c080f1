// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BurnMintERC20} from "@chainlink/contracts/src/v0.8/shared/token/ERC20/BurnMintERC20.sol";

/// @title VigilToken
/// @notice The reward token of the Vigil network. It is Chainlink's `BurnMintERC20`, so a CCIP
/// `BurnMintTokenPool` can be granted the mint and burn roles and the token registered as a
/// cross-chain token through its CCIP admin (`getCCIPAdmin`).
contract VigilToken is BurnMintERC20 {
    /// @param admin Receives DEFAULT_ADMIN_ROLE and becomes the CCIP admin.
    /// @param maxSupply_ Cap on total supply, 0 for none.
    constructor(address admin, uint256 maxSupply_) BurnMintERC20("Vigil", "VGL", 18, maxSupply_, 0) {
        if (admin != msg.sender) {
            _grantRole(DEFAULT_ADMIN_ROLE, admin);
            _revokeRole(DEFAULT_ADMIN_ROLE, msg.sender);
            s_ccipAdmin = admin;
        }
    }
}
