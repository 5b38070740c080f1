// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGuardianPausable} from "../interfaces/IGuardianPausable.sol";
import {Ownable2Step} from "@openzeppelin/contracts@5.3.0/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts@5.3.0/utils/Pausable.sol";

/// @title GuardianPausable
/// @notice `Ownable2Step` plus OpenZeppelin's `Pausable` with a guardian: the guardian can pause and do nothing
/// else; the owner (under governance, the timelock) unpauses and names the guardian. Two-step ownership so the
/// timelock takes a contract over only by executing `acceptOwnership` itself, never by a typo.
abstract contract GuardianPausable is IGuardianPausable, Ownable2Step, Pausable {
    address public guardian;

    /// @inheritdoc IGuardianPausable
    function setGuardian(address newGuardian) external onlyOwner {
        emit GuardianSet(guardian, newGuardian);
        guardian = newGuardian;
    }

    /// @inheritdoc IGuardianPausable
    function pause() external {
        if (msg.sender != guardian && msg.sender != owner()) revert NotGuardian(msg.sender);
        _pause();
    }

    /// @inheritdoc IGuardianPausable
    function unpause() external onlyOwner {
        _unpause();
    }
}
