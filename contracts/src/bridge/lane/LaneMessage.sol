// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The message the local lane carries from a `LaneOnRamp` to the `LaneOffRamp` of the other
/// chain. It holds what the destination pool's `releaseOrMint` needs; the message id commits to all of it.
library LaneMessage {
    struct Message {
        uint64 sourceChainSelector;
        uint64 destChainSelector;
        uint64 sequenceNumber; // Per (source, destination) pair, starting at 1, no gaps.
        address sender; // Original sender on the source chain.
        address receiver; // Receiver of the tokens on the destination chain.
        address sourceToken;
        address sourcePool;
        address destToken; // As reported by the source pool (`getRemoteToken`).
        uint256 amount; // In source-token decimals.
        bytes sourcePoolData; // The source pool's `destPoolData` (its token decimals).
    }

    function id(Message memory message) internal pure returns (bytes32) {
        return keccak256(abi.encode(message));
    }
}
