// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRMN} from "@chainlink/contracts-ccip/contracts/interfaces/IRMN.sol";
import {Ownable2StepMsgSender} from "@chainlink/contracts/src/v0.8/shared/access/Ownable2StepMsgSender.sol";

/// @title LocalRMN
/// @notice Stand-in for the Risk Management Network proxy on the local lane. The real pools ask it
/// `isCursed(subject)` before every burn and mint; here nothing is cursed unless the owner says so
/// (used by tests to show a curse stops the pools). Real networks use Chainlink's RMN proxy.
contract LocalRMN is IRMN, Ownable2StepMsgSender {
    /// Subject meaning "every chain", as in Chainlink's RMN.
    bytes16 internal constant GLOBAL_CURSE_SUBJECT = 0x01000000000000000000000000000001;

    event CurseSet(bytes16 indexed subject, bool cursed);

    mapping(bytes16 subject => bool cursed) internal s_cursed;
    mapping(bytes16 subject => bool listed) internal s_listed;
    bytes16[] internal s_subjects;

    function setCurse(bytes16 subject, bool cursed) external onlyOwner {
        if (!s_listed[subject]) {
            s_listed[subject] = true;
            s_subjects.push(subject);
        }
        s_cursed[subject] = cursed;
        emit CurseSet(subject, cursed);
    }

    function getCursedSubjects() external view returns (bytes16[] memory subjects) {
        uint256 count;
        for (uint256 i = 0; i < s_subjects.length; ++i) {
            if (s_cursed[s_subjects[i]]) ++count;
        }
        subjects = new bytes16[](count);
        uint256 j;
        for (uint256 i = 0; i < s_subjects.length; ++i) {
            if (s_cursed[s_subjects[i]]) subjects[j++] = s_subjects[i];
        }
    }

    function isCursed() external view returns (bool) {
        return s_cursed[GLOBAL_CURSE_SUBJECT];
    }

    function isCursed(bytes16 subject) external view returns (bool) {
        return s_cursed[subject] || s_cursed[GLOBAL_CURSE_SUBJECT];
    }
}
