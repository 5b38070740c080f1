// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LaneOnRamp} from "./LaneOnRamp.sol";
import {IRouter} from "@chainlink/contracts-ccip/contracts/interfaces/IRouter.sol";
import {IRouterClient} from "@chainlink/contracts-ccip/contracts/interfaces/IRouterClient.sol";
import {ITokenAdminRegistry} from "@chainlink/contracts-ccip/contracts/interfaces/ITokenAdminRegistry.sol";
import {Client} from "@chainlink/contracts-ccip/contracts/libraries/Client.sol";
import {Ownable2StepMsgSender} from "@chainlink/contracts/src/v0.8/shared/access/Ownable2StepMsgSender.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/utils/SafeERC20.sol";

/// @title LaneRouter
/// @notice The local lane's router. Senders use it like Chainlink's CCIP router (`IRouterClient`), and
/// the real token pools use it like one (`IRouter.getOnRamp` / `isOffRamp`) to check that only this
/// chain's ramps burn and mint. It carries token-only messages, one token per message, for no fee.
contract LaneRouter is IRouter, IRouterClient, Ownable2StepMsgSender {
    using SafeERC20 for IERC20;

    error OneTokenPerMessage(uint256 count);
    error DataNotSupported();
    error InvalidReceiver(bytes receiver);
    error UnsupportedToken(address token);
    error ZeroAmount();
    error MessageRoutingNotSupported();

    event OnRampSet(uint64 indexed destChainSelector, address onRamp);
    event OffRampSet(uint64 indexed sourceChainSelector, address offRamp, bool allowed);

    ITokenAdminRegistry public immutable i_tokenAdminRegistry;

    mapping(uint64 destChainSelector => address onRamp) internal s_onRamps;
    mapping(uint64 sourceChainSelector => mapping(address offRamp => bool allowed)) internal s_offRamps;

    constructor(ITokenAdminRegistry tokenAdminRegistry) {
        i_tokenAdminRegistry = tokenAdminRegistry;
    }

    function setOnRamp(uint64 destChainSelector, address onRamp) external onlyOwner {
        s_onRamps[destChainSelector] = onRamp;
        emit OnRampSet(destChainSelector, onRamp);
    }

    function setOffRamp(uint64 sourceChainSelector, address offRamp, bool allowed) external onlyOwner {
        s_offRamps[sourceChainSelector][offRamp] = allowed;
        emit OffRampSet(sourceChainSelector, offRamp, allowed);
    }

    /// @inheritdoc IRouter
    function getOnRamp(uint64 destChainSelector) external view returns (address) {
        return s_onRamps[destChainSelector];
    }

    /// @inheritdoc IRouter
    function isOffRamp(uint64 sourceChainSelector, address offRamp) external view returns (bool) {
        return s_offRamps[sourceChainSelector][offRamp];
    }

    /// @inheritdoc IRouter
    /// @dev The lane delivers tokens only; no receiver contract is ever called.
    function routeMessage(Client.Any2EVMMessage calldata, uint16, uint256, address)
        external
        pure
        returns (bool, bytes memory, uint256)
    {
        revert MessageRoutingNotSupported();
    }

    /// @inheritdoc IRouterClient
    function isChainSupported(uint64 destChainSelector) external view returns (bool) {
        return s_onRamps[destChainSelector] != address(0);
    }

    /// @inheritdoc IRouterClient
    /// @dev The local lane charges nothing.
    function getFee(uint64 destChainSelector, Client.EVM2AnyMessage memory) external view returns (uint256) {
        if (s_onRamps[destChainSelector] == address(0)) {
            revert UnsupportedDestinationChain(destChainSelector);
        }
        return 0;
    }

    /// @inheritdoc IRouterClient
    /// @dev Like Chainlink's router, moves the tokens from the sender to the token's pool, then lets the
    /// on-ramp have the pool burn them. Returns the message id.
    function ccipSend(uint64 destChainSelector, Client.EVM2AnyMessage calldata message)
        external
        payable
        returns (bytes32)
    {
        address onRamp = s_onRamps[destChainSelector];
        if (onRamp == address(0)) revert UnsupportedDestinationChain(destChainSelector);
        if (msg.value != 0) revert InvalidMsgValue();
        if (message.tokenAmounts.length != 1) revert OneTokenPerMessage(message.tokenAmounts.length);
        if (message.data.length != 0) revert DataNotSupported();
        if (message.receiver.length != 32) revert InvalidReceiver(message.receiver);
        uint256 rawReceiver = abi.decode(message.receiver, (uint256));
        if (rawReceiver == 0 || rawReceiver > type(uint160).max) revert InvalidReceiver(message.receiver);

        Client.EVMTokenAmount calldata tokenAmount = message.tokenAmounts[0];
        if (tokenAmount.amount == 0) revert ZeroAmount();
        address pool = i_tokenAdminRegistry.getPool(tokenAmount.token);
        if (pool == address(0)) revert UnsupportedToken(tokenAmount.token);
        IERC20(tokenAmount.token).safeTransferFrom(msg.sender, pool, tokenAmount.amount);

        return LaneOnRamp(onRamp)
            .forwardFromRouter(
                destChainSelector,
                tokenAmount.token,
                pool,
                tokenAmount.amount,
                address(uint160(rawReceiver)),
                msg.sender
            );
    }
}
