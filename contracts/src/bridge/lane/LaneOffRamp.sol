// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LaneMessage} from "./LaneMessage.sol";
import {IPoolV1} from "@chainlink/contracts-ccip/contracts/interfaces/IPool.sol";
import {ITokenAdminRegistry} from "@chainlink/contracts-ccip/contracts/interfaces/ITokenAdminRegistry.sol";
import {Pool} from "@chainlink/contracts-ccip/contracts/libraries/Pool.sol";
import {Ownable2StepMsgSender} from "@chainlink/contracts/src/v0.8/shared/access/Ownable2StepMsgSender.sol";

/// @title LaneOffRamp
/// @notice Destination side of the local lane for one source chain. The relayer hands it messages
/// read from the source `LaneOnRamp`; it has the real pool `releaseOrMint` them (the pool checks that
/// this contract is an off-ramp on the router, the source pool, the RMN curse and the inbound rate
/// limit). Each sequence number executes at most once, whatever the relayer does: exactly-once
/// delivery does not rest on the relayer's own bookkeeping.
/// @dev Trust: on real CCIP the commit DON and RMN attest to source messages; here the owner-approved
/// relayers (transmitters) are trusted to copy them faithfully. That is acceptable for a devnet only.
contract LaneOffRamp is Ownable2StepMsgSender {
    error OnlyTransmitter(address caller);
    error WrongLane(uint64 sourceChainSelector, uint64 destChainSelector);
    error AlreadyExecuted(uint64 sequenceNumber, bytes32 messageId);
    error UnsupportedToken(address token);

    event TransmitterSet(address indexed transmitter, bool allowed);
    event ExecutionStateChanged(
        uint64 indexed sourceChainSelector,
        uint64 indexed sequenceNumber,
        bytes32 indexed messageId,
        address receiver,
        uint256 amount
    );

    uint64 public immutable i_localChainSelector;
    uint64 public immutable i_sourceChainSelector;
    ITokenAdminRegistry public immutable i_tokenAdminRegistry;

    mapping(address transmitter => bool allowed) internal s_transmitters;
    mapping(uint64 sequenceNumber => bytes32 messageId) internal s_executed;

    constructor(
        uint64 localChainSelector,
        uint64 sourceChainSelector,
        ITokenAdminRegistry tokenAdminRegistry
    ) {
        i_localChainSelector = localChainSelector;
        i_sourceChainSelector = sourceChainSelector;
        i_tokenAdminRegistry = tokenAdminRegistry;
    }

    function setTransmitter(address transmitter, bool allowed) external onlyOwner {
        s_transmitters[transmitter] = allowed;
        emit TransmitterSet(transmitter, allowed);
    }

    /// @notice The id of the message executed under `sequenceNumber`, or zero if none was.
    function getExecutedMessageId(uint64 sequenceNumber) external view returns (bytes32) {
        return s_executed[sequenceNumber];
    }

    /// @notice Which of `sequenceNumbers` have executed, in one call (the relayer checks this after a restart).
    function getExecutionStates(uint64[] calldata sequenceNumbers)
        external
        view
        returns (bool[] memory executed)
    {
        executed = new bool[](sequenceNumbers.length);
        for (uint256 i = 0; i < sequenceNumbers.length; ++i) {
            executed[i] = s_executed[sequenceNumbers[i]] != bytes32(0);
        }
    }

    /// @notice Delivers a batch of messages; reverts as a whole if any of them fails or was delivered before.
    function execute(LaneMessage.Message[] calldata messages) external {
        if (!s_transmitters[msg.sender]) revert OnlyTransmitter(msg.sender);
        for (uint256 i = 0; i < messages.length; ++i) {
            _execute(messages[i]);
        }
    }

    function _execute(LaneMessage.Message calldata message) internal {
        if (
            message.sourceChainSelector != i_sourceChainSelector
                || message.destChainSelector != i_localChainSelector
        ) {
            revert WrongLane(message.sourceChainSelector, message.destChainSelector);
        }
        bytes32 messageId = LaneMessage.id(message);
        bytes32 previous = s_executed[message.sequenceNumber];
        if (previous != bytes32(0)) revert AlreadyExecuted(message.sequenceNumber, previous);
        // Marked before the pool is called, so no re-entrant path can deliver it twice.
        s_executed[message.sequenceNumber] = messageId;

        address pool = i_tokenAdminRegistry.getPool(message.destToken);
        if (pool == address(0)) revert UnsupportedToken(message.destToken);
        Pool.ReleaseOrMintOutV1 memory out = IPoolV1(pool)
            .releaseOrMint(
                Pool.ReleaseOrMintInV1({
                originalSender: abi.encode(message.sender),
                remoteChainSelector: message.sourceChainSelector,
                receiver: message.receiver,
                sourceDenominatedAmount: message.amount,
                localToken: message.destToken,
                sourcePoolAddress: abi.encode(message.sourcePool),
                sourcePoolData: message.sourcePoolData,
                offchainTokenData: ""
            })
            );
        emit ExecutionStateChanged(
            message.sourceChainSelector,
            message.sequenceNumber,
            messageId,
            message.receiver,
            out.destinationAmount
        );
    }
}
