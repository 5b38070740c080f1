// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClaimHook} from "../interfaces/IClaimHook.sol";
import {IRouterClient} from "@chainlink/contracts-ccip/contracts/interfaces/IRouterClient.sol";
import {Client} from "@chainlink/contracts-ccip/contracts/libraries/Client.sol";
import {Ownable} from "@openzeppelin/contracts@5.3.0/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/utils/SafeERC20.sol";

/// @title ClaimBridgeHook
/// @notice Claim-and-bridge: the settlement contract's `claimAndCall` transfers a device owner's reward
/// here and calls `onVigilClaim`, which sends it over CCIP to `receiver` on `destChainSelector` in the
/// same transaction. Works against Chainlink's real router and against the local lane's `LaneRouter`.
/// @dev CCIP fees are paid in native currency from this contract's balance (funded by the protocol,
/// see `receive`), so a claimant needs no second token and no second transaction. The local lane
/// charges no fee. The claimant picks the destination, so one claim may spend at most `maxFeePerClaim`
/// (0 at deployment: only fee-free lanes until the owner sets it); the owner (the deployer) sets it and
/// can withdraw the fee balance.
contract ClaimBridgeHook is IClaimHook, Ownable {
    using SafeERC20 for IERC20;

    error OnlySettlement(address caller);
    error UnsupportedDestination(uint64 destChainSelector);
    error InvalidReceiver();
    error InsufficientFeeBalance(uint256 fee, uint256 balance);
    error FeeAboveLimit(uint256 fee, uint256 maxFeePerClaim);
    error ZeroAddress();
    error FeeWithdrawalFailed(address to, uint256 amount);

    event ClaimBridged(
        address indexed claimant,
        uint64 indexed destChainSelector,
        address receiver,
        uint256 amount,
        bytes32 indexed messageId
    );
    event MaxFeePerClaimSet(uint256 maxFeePerClaim);
    event FeesWithdrawn(address indexed to, uint256 amount);

    IRouterClient public immutable i_router;
    IERC20 public immutable i_token;
    address public immutable i_settlement;
    /// Most native fee one claim may spend from the shared balance: a claimant choosing an expensive
    /// destination cannot drain what the protocol funded for everyone.
    uint256 public maxFeePerClaim;

    constructor(IRouterClient router, IERC20 token, address settlement) Ownable(msg.sender) {
        if (address(router) == address(0) || address(token) == address(0) || settlement == address(0)) {
            revert ZeroAddress();
        }
        i_router = router;
        i_token = token;
        i_settlement = settlement;
    }

    /// @notice Accepts native currency to pay CCIP fees for claimants.
    receive() external payable {}

    /// @notice Sets the most native fee one claim may spend. Owner only.
    function setMaxFeePerClaim(uint256 maxFee) external onlyOwner {
        maxFeePerClaim = maxFee;
        emit MaxFeePerClaimSet(maxFee);
    }

    /// @notice Sends `amount` of the native fee balance to `to`. Owner only.
    function withdrawFees(address payable to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        if (amount > address(this).balance) revert InsufficientFeeBalance(amount, address(this).balance);
        emit FeesWithdrawn(to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert FeeWithdrawalFailed(to, amount);
    }

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
        if (fee > maxFeePerClaim) revert FeeAboveLimit(fee, maxFeePerClaim);
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
