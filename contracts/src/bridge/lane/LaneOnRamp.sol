// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LaneMessage} from "./LaneMessage.sol";
import {IPoolV1} from "@chainlink/contracts-ccip/contracts/interfaces/IPool.sol";
import {Pool} from "@chainlink/contracts-ccip/contracts/libraries/Pool.sol";

/// @title LaneOnRamp
/// @notice Source side of the local lane. Called by the `LaneRouter` after it moved the tokens to the
/// pool: has the real pool `lockOrBurn` them (the pool checks that this contract is the router's
/// on-ramp for the destination, the RMN curse and the outbound rate limit), numbers the message and
/// emits it for the relayer.
contract LaneOnRamp {
    error OnlyRouter(address caller);

    /// @notice One event per message; the relayer reads these and nothing else.
    event CCIPMessageSent(
        uint64 indexed destChainSelector,
        uint64 indexed sequenceNumber,
        bytes32 indexed messageId,
        LaneMessage.Message message
    );

    uint64 public immutable i_localChainSelector;
    address public immutable i_router;

    mapping(uint64 destChainSelector => uint64 lastSequenceNumber) internal s_sequenceNumbers;

    constructor(uint64 localChainSelector, address router) {
        i_localChainSelector = localChainSelector;
        i_router = router;
    }

    /// @notice The sequence number of the last message sent to `destChainSelector` (0 if none).
    function getSequenceNumber(uint64 destChainSelector) external view returns (uint64) {
        return s_sequenceNumbers[destChainSelector];
    }

    function forwardFromRouter(
        uint64 destChainSelector,
        address token,
        address pool,
        uint256 amount,
        address receiver,
        address originalSender
    ) external returns (bytes32 messageId) {
        if (msg.sender != i_router) revert OnlyRouter(msg.sender);
        Pool.LockOrBurnOutV1 memory out = IPoolV1(pool)
            .lockOrBurn(
                Pool.LockOrBurnInV1({
                receiver: abi.encode(receiver),
                remoteChainSelector: destChainSelector,
                originalSender: originalSender,
                amount: amount,
                localToken: token
            })
            );
        LaneMessage.Message memory message = LaneMessage.Message({
            sourceChainSelector: i_localChainSelector,
            destChainSelector: destChainSelector,
            sequenceNumber: ++s_sequenceNumbers[destChainSelector],
            sender: originalSender,
            receiver: receiver,
            sourceToken: token,
            sourcePool: pool,
            destToken: abi.decode(out.destTokenAddress, (address)),
            amount: amount,
            sourcePoolData: out.destPoolData
        });
        messageId = LaneMessage.id(message);
        emit CCIPMessageSent(destChainSelector, message.sequenceNumber, messageId, message);
    }
}
