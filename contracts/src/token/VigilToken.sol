// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BurnMintERC20} from "@chainlink/contracts/src/v0.8/shared/token/ERC20/BurnMintERC20.sol";
import {IVotes} from "@openzeppelin/contracts@4.8.3/governance/utils/IVotes.sol";
import {ERC20} from "@openzeppelin/contracts@4.8.3/token/ERC20/ERC20.sol";
import {ERC20Votes} from "@openzeppelin/contracts@4.8.3/token/ERC20/extensions/ERC20Votes.sol";
import {ERC20Permit} from "@openzeppelin/contracts@4.8.3/token/ERC20/extensions/draft-ERC20Permit.sol";
import {IERC20Permit} from "@openzeppelin/contracts@4.8.3/token/ERC20/extensions/draft-IERC20Permit.sol";

/// @title VigilToken
/// @notice The reward and governance token of the Vigil network. It is Chainlink's `BurnMintERC20`, so a CCIP
/// `BurnMintTokenPool` can be granted the mint and burn roles and the token registered as a cross-chain token
/// through its CCIP admin (`getCCIPAdmin`), and it carries votes (`ERC20Votes`, with `ERC20Permit`) for
/// `VigilGovernor`.
/// @dev `BurnMintERC20` is built on OpenZeppelin 4.8.3, so the votes come from 4.8.3's `ERC20Votes`, whose
/// checkpoints are keyed by block number: the clock is the block number (ERC-6372 `clock`/`CLOCK_MODE` below
/// say so, and OpenZeppelin 5's `GovernorVotes` reads them). A timestamp clock would need a second, hand-written
/// checkpoint book next to the one 4.8.3 keeps. Votes count on the chain where the tokens are: tokens bridged
/// away are burned here (burn-and-mint pools) and vote in this chain's governor only once bridged back.
contract VigilToken is BurnMintERC20, ERC20Votes {
    /// @param admin Receives DEFAULT_ADMIN_ROLE and becomes the CCIP admin.
    /// @param maxSupply_ Cap on total supply, 0 for none (`ERC20Votes` caps it at 2^224 - 1 either way).
    constructor(address admin, uint256 maxSupply_)
        BurnMintERC20("Vigil", "VGL", 18, maxSupply_, 0)
        ERC20Permit("Vigil")
    {
        if (admin != msg.sender) {
            _grantRole(DEFAULT_ADMIN_ROLE, admin);
            _revokeRole(DEFAULT_ADMIN_ROLE, msg.sender);
            s_ccipAdmin = admin;
        }
    }

    /// @notice ERC-6372: votes are checkpointed by block number.
    function clock() external view returns (uint48) {
        return uint48(block.number);
    }

    /// @notice ERC-6372 clock description.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=blocknumber&from=default";
    }

    /// @inheritdoc BurnMintERC20
    function supportsInterface(bytes4 interfaceId) public pure virtual override returns (bool) {
        return interfaceId == type(IVotes).interfaceId || interfaceId == type(IERC20Permit).interfaceId
            || super.supportsInterface(interfaceId);
    }

    function decimals() public view virtual override(ERC20, BurnMintERC20) returns (uint8) {
        return super.decimals();
    }

    function _mint(address account, uint256 amount) internal virtual override(ERC20, ERC20Votes) {
        super._mint(account, amount);
    }

    function _burn(address account, uint256 amount) internal virtual override(ERC20, ERC20Votes) {
        super._burn(account, amount);
    }

    function _afterTokenTransfer(address from, address to, uint256 amount)
        internal
        virtual
        override(ERC20, ERC20Votes)
    {
        super._afterTokenTransfer(from, to, amount);
    }

    function _transfer(address from, address to, uint256 amount)
        internal
        virtual
        override(ERC20, BurnMintERC20)
    {
        super._transfer(from, to, amount);
    }

    function _approve(address owner, address spender, uint256 amount)
        internal
        virtual
        override(ERC20, BurnMintERC20)
    {
        super._approve(owner, spender, amount);
    }
}
