// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClaimHook} from "../interfaces/IClaimHook.sol";
import {IRouterClient} from "@chainlink/contracts-ccip/contracts/interfaces/IRouterClient.sol";
import {Client} from "@chainlink/contracts-ccip/contracts/libraries/Client.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/utils/SafeERC20.sol";

/// @title ClaimBridgeHook
/// @notice Claim-and-bridge: the settlement contract's `claimAndCall` transfers a device owner's reward
/// here and calls `onVigilClaim`, which sends it over CCIP to `receiver` on `destChainSelector` in the
/// same transaction. Works against Chainlink's real router and against the local lane's `LaneRouter`.
/// @dev CCIP fees are paid in native currency from this contract's balance (funded by the protocol,
/// see `receive`), so a claimant needs no second token and no second transaction. The local lane
/// charges no fee.
contract ClaimBridgeHook is IClaimHook {
    using SafeERC20 for IERC20;

    error OnlySettlement(address caller);
    error UnsupportedDestination(uint64 destChainSelector);
    error InvalidReceiver();
    error InsufficientFeeBalance(uint256 fee, uint256 balance);

    event ClaimBridged(
        address indexed claimant,
        uint64 indexed destChainSelector,
        address receiver,
        uint256 amount,
        bytes32 indexed messageId
    );

    IRouterClient public immutable i_router;
    IERC20 public immutable i_token;
    address public immutable i_settlement;

    constructor(IRouterClient router, IERC20 token, address settlement) {
        i_router = router;
        i_token = token;
        i_settlement = settlement;
    }

    /// @notice Accepts native currency to pay CCIP fees for claimants.
    receive() external payable {}

    /// @inheritdoc IClaimHook
    /// @dev `data = abi.encode(uint64 destChainSelector, address receiver)`. Returns the CCIP message id.
    function onVigilClaim(address claimant, uint256 amount, bytes calldata data)
        external
        returns (bytes32 ref)
    {
        // Only the settlement contract hands tokens over and calls in the same transaction; anyone else
        // could otherwise move tokens that happen to sit here.
        if (msg.sender != i_settlement) revert OnlySettlement(msg.sender);
        (uint64 destChainSelector, address receiver) = abi.decode(data, (uint64, address));
        if (receiver == address(0)) revert InvalidReceiver();
        if (!i_router.isChainSupported(destChainSelector)) revert UnsupportedDestination(destChainSelector);

        Client.EVM2AnyMessage memory message = buildMessage(receiver, amount);
        uint256 fee = i_router.getFee(destChainSelector, message);
        if (fee > address(this).balance) revert InsufficientFeeBalance(fee, address(this).balance);

        i_token.forceApprove(address(i_router), amount);
        ref = i_router.ccipSend{value: fee}(destChainSelector, message);
        emit ClaimBridged(claimant, destChainSelector, receiver, amount, ref);
    }

    /// @notice The token-only CCIP message the hook sends: no data, no receiver callback.
    function buildMessage(address receiver, uint256 amount)
        public
        view
        returns (Client.EVM2AnyMessage memory)
    {
        Client.EVMTokenAmount[] memory tokenAmounts = new Client.EVMTokenAmount[](1);
        tokenAmounts[0] = Client.EVMTokenAmount({token: address(i_token), amount: amount});
        return Client.EVM2AnyMessage({
            receiver: abi.encode(receiver),
            data: "",
            tokenAmounts: tokenAmounts,
            feeToken: address(0),
            // Gas limit 0: the receiver is credited by the pool, no contract is called on arrival.
            extraArgs: abi.encodeWithSelector(
                Client.GENERIC_EXTRA_ARGS_V2_TAG,
                Client.GenericExtraArgsV2({gasLimit: 0, allowOutOfOrderExecution: true})
            )
        });
    }
}
