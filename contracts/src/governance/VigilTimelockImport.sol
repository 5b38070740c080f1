// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Emits OpenZeppelin's TimelockController artifact (deployed as is) for the deploy scripts.
import {TimelockController} from "@openzeppelin/contracts@5.3.0/governance/TimelockController.sol";
